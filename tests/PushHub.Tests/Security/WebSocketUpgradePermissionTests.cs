using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Security;

/// <summary>
/// API-key rows for the WebSocket endpoints as real upgrades (ClientWebSocket on Kestrel, not a plain GET): the
/// handshake itself is refused with 401/403, and on an open socket a subscribe op to a forbidden task gets an error
/// frame while permitted tasks keep streaming.
/// </summary>
public sealed class WebSocketUpgradePermissionTests() : LiveHubTest(SecuredHub.Settings())
{
    private const string WrongKey = "wrong-key-0123456789abcdef";

    private static Action<ClientWebSocketOptions> Credentials(string header, string? key) => options =>
    {
        if (key is not null)
        {
            options.SetRequestHeader(header, header == "Authorization" ? $"Bearer {key}" : key);
        }
    };

    [Theory]
    [InlineData("/events/ws", "?task=build-1", "Authorization", null, HttpStatusCode.Unauthorized)]
    [InlineData("/events/ws", "?task=build-1", "Authorization", WrongKey, HttpStatusCode.Unauthorized)]
    [InlineData("/events/ws", "?task=build-1", "X-Api-Key", WrongKey, HttpStatusCode.Unauthorized)]
    [InlineData("/events/ws", "", "Authorization", WrongKey, HttpStatusCode.Unauthorized)]
    [InlineData("/events/ws", "?task=deploy-1", "Authorization", SecuredHub.SubscriberKey, HttpStatusCode.Forbidden)]
    [InlineData("/events/ws", "?task=build-1&task=deploy-1", "X-Api-Key", SecuredHub.SubscriberKey, HttpStatusCode.Forbidden)]
    [InlineData("/events/ws", "?after=0", "Authorization", SecuredHub.SubscriberKey, HttpStatusCode.Forbidden)]
    [InlineData("/events/ws", "?after=0", "Authorization", SecuredHub.PublisherKey, HttpStatusCode.Forbidden)]
    [InlineData("/hubs/events", "", "Authorization", null, HttpStatusCode.Unauthorized)]
    [InlineData("/hubs/events", "", "Authorization", WrongKey, HttpStatusCode.Unauthorized)]
    [InlineData("/hubs/events", "", "X-Api-Key", WrongKey, HttpStatusCode.Unauthorized)]
    public async Task The_upgrade_is_refused(string path, string query, string header, string? key, HttpStatusCode expected)
    {
        var refused = await WsClient.RefusedAsync(Hub.BaseAddress, path, query, Timeout.Token, Credentials(header, key));

        Assert.Equal(expected, refused.Status);
        Assert.Equal(expected == HttpStatusCode.Unauthorized, refused.Headers.ContainsKey("WWW-Authenticate"));
    }

    [Theory]
    [InlineData("?task=build-1&after=0", "X-Api-Key", SecuredHub.SubscriberKey)]
    [InlineData("?after=0", "Authorization", SecuredHub.ReaderAllKey)]
    public async Task The_upgrade_is_accepted_and_streams_a_readable_task(string query, string header, string key)
    {
        using var admin = WithKey(SecuredHub.AdminKey);
        var seq = await admin.PublishSeqAsync("build-1", "task.started");

        await using var ws = await WsClient.ConnectAsync(Hub.BaseAddress, query, Timeout.Token, Credentials(header, key));

        Assert.Equal("subscribed", (await ws.ReceiveJsonAsync())["op"]!.GetValue<string>());
        Assert.Equal(seq, (await ws.ReceiveJsonAsync())["seq"]!.GetValue<long>());
    }

    [Fact]
    public async Task Subscribe_ops_to_forbidden_tasks_get_error_frames_and_none_of_their_events_arrive()
    {
        using var admin = WithKey(SecuredHub.AdminKey);
        await admin.PublishSeqAsync("deploy-1", "task.started");
        // No task in the query: the upgrade is allowed and nothing is followed until the client asks.
        await using var ws = await WsClient.ConnectAsync(Hub.BaseAddress, "", Timeout.Token, Credentials("Authorization", SecuredHub.SubscriberKey));

        await AssertSubscribesOutsideBuildRefusedAsync(ws);
        await ws.SendAsync("""{"op":"subscribe","task_id":"build-1","after":0}""");
        Assert.Equal("""{"op":"subscribed","task_id":"build-1","after":0}""", await ws.ReceiveTextAsync());

        var expected = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            await admin.PublishSeqAsync("deploy-1", "task.heartbeat");
            expected.Add(await admin.PublishSeqAsync("build-1", "task.heartbeat"));
        }
        var received = new List<string>();
        while (received.Count < expected.Count)
        {
            var frame = await ws.ReceiveJsonAsync();
            received.Add($"{frame["task_id"]} {frame["seq"]}");
        }
        Assert.Equal(expected.Select(seq => $"build-1 {seq}"), received);
    }

    /// <summary>On a socket of a caller limited to build tasks: subscribing to deploy-1, or to every task, gets an error frame.</summary>
    internal static async Task AssertSubscribesOutsideBuildRefusedAsync(WsClient ws)
    {
        await ws.SendAsync("""{"op":"subscribe","task_id":"deploy-1","after":0}""");
        var refused = await ws.ReceiveJsonAsync();
        Assert.Equal("error", refused["op"]!.GetValue<string>());
        Assert.Contains("deploy-1", refused["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await ws.SendAsync("""{"op":"subscribe","after":0}""");
        Assert.Equal("error", (await ws.ReceiveJsonAsync())["op"]!.GetValue<string>());
    }

    private HttpClient WithKey(string key)
    {
        var client = new HttpClient { BaseAddress = Hub.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
