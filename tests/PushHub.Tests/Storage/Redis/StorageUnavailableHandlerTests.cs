using PushHub.Storage;
using PushHub.Tests.Infrastructure;
using StackExchange.Redis;

namespace PushHub.Tests.Storage.Redis;

/// <summary>
/// Which errors of a real Redis a request is answered 503 + Retry-After for (Redis away, a replica where a primary was,
/// a script missing again right after it was loaded), and which stay errors (a script's or the data's own).
/// </summary>
public sealed class StorageUnavailableHandlerTests
{
    [RedisFact]
    public async Task A_replica_a_missing_script_and_a_lost_connection_are_unavailability_and_a_data_error_is_not()
    {
        await using var primary = await RedisServer.StartAsync();
        await using var replica = await RedisServer.StartReplicaAsync(primary.Port);
        using var toPrimary = await ConnectionMultiplexer.ConnectAsync(primary.Configuration + ",abortConnect=false,connectTimeout=2000,syncTimeout=2000");
        using var toReplica = await ConnectionMultiplexer.ConnectAsync(replica.Configuration + ",abortConnect=false");
        var server = toPrimary.GetServer(primary.Configuration);
        await server.ExecuteAsync("SET", "text", "a string");

        // A write sent to a replica: refused by the client when it knows the role, READONLY from the server when the
        // primary it wrote to has just been turned into a replica.
        var toReplicaRefused = await FailureOf(() => toReplica.GetServer(replica.Configuration).ExecuteAsync("SET", "k", "v"));
        Assert.True(StorageUnavailableHandler.IsUnavailable(toReplicaRefused), toReplicaRefused.ToString());
        await using var demoted = await RedisServer.StartAsync();
        using var toDemoted = await ConnectionMultiplexer.ConnectAsync(demoted.Configuration + ",abortConnect=false");
        Assert.StartsWith("+OK", await demoted.CommandAsync("REPLICAOF", "127.0.0.1", primary.Port.ToString()), StringComparison.Ordinal);
        var readOnly = await FailureOf(() => toDemoted.GetDatabase().StringSetAsync("k", "v"));
        Assert.Contains("READONLY", readOnly.Message, StringComparison.Ordinal);
        Assert.True(StorageUnavailableHandler.IsUnavailable(readOnly), readOnly.ToString());
        // A script that the server does not have (a new or promoted primary, a SCRIPT FLUSH): NOSCRIPT.
        Assert.True(StorageUnavailableHandler.IsUnavailable(await FailureOf(() =>
            server.ExecuteAsync("EVALSHA", new string('0', 40), 0))));
        // The data's or the script's own errors are not a reason to retry.
        Assert.False(StorageUnavailableHandler.IsUnavailable(await FailureOf(() => server.ExecuteAsync("LPUSH", "text", "x"))));
        Assert.False(StorageUnavailableHandler.IsUnavailable(await FailureOf(() =>
            server.ExecuteAsync("EVAL", "return redis.call('INCR', KEYS[1])", 1, "text"))));

        await primary.KillAsync();
        var lost = await FailureOf(() => toPrimary.GetDatabase().StringGetAsync("text"));
        Assert.True(StorageUnavailableHandler.IsUnavailable(lost), lost.ToString());
    }

    private static async Task<Exception> FailureOf(Func<Task> command) => await Assert.ThrowsAnyAsync<Exception>(command);
}
