using PushHub.Storage;
using PushHub.Storage.Redis;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Storage.Specs;
using StackExchange.Redis;

namespace PushHub.Tests.Storage.Redis;

/// <summary>The webhook store's spec suite against a real Redis, with a second node on its own connection.</summary>
public sealed class RedisWebhookStoreTests : WebhookStoreSpec
{
    private const string Prefix = "pushhub:";

    private RedisServer? _server;

    protected override async Task<StoreUnderTest> CreateStoreAsync(TimeProvider time)
    {
        _server = await RedisServer.StartAsync();
        var server = _server;
        var node = await OpenNodeAsync(server, time, "node-a");
        return new StoreUnderTest(node.Events, node.Webhooks, new NoLeases(), async () =>
        {
            await node.Connection.DisposeAsync();
            await server.DisposeAsync();
        });
    }

    protected override async Task<StoreUnderTest> OpenSecondNodeAsync()
    {
        var node = await OpenNodeAsync(_server!, Time, "node-b");
        return new StoreUnderTest(node.Events, node.Webhooks, new NoLeases(), () => node.Connection.DisposeAsync());
    }

    private static async Task<(ConnectionMultiplexer Connection, IPollingStore Events, IWebhookStore Webhooks)> OpenNodeAsync(
        RedisServer server, TimeProvider time, string nodeId)
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var database = connection.GetDatabase();
        var webhooks = new RedisWebhookStore(database, Prefix, time, nodeId);
        return (connection, new StandInEventLog(database, Prefix, time, webhooks), webhooks);
    }

    private sealed class NoLeases : IClusterLeases
    {
        public string NodeId => "stand-in";

        public Task<bool> TryAcquireAsync(string name, TimeSpan duration, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task ReleaseAsync(string name, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
