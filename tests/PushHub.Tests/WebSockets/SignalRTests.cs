using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using PushHub.Hub;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.WebSockets;

public sealed class SignalRTests : LiveHubTest
{
    private Task<SignalRClient> ConnectAsync(bool messagePack = false) => SignalRClient.ConnectAsync(Hub.BaseAddress, messagePack, Timeout.Token);

    [Fact]
    public async Task Json_protocol_delivers_the_stored_event_as_an_object_then_live_events()
    {
        await Client.PublishSeqAsync("a", "task.progress", new { percent = 20, message = "Compiling" });
        await using var client = await ConnectAsync();
        await client.Connection.InvokeAsync("Subscribe", "a", (long?)0, Timeout.Token);

        var stored = (await Client.PollAsync("after=0")).Events.Single();
        var received = Assert.IsType<JsonElement>(await client.NextAsync());
        Assert.True(JsonNode.DeepEquals(stored, JsonNode.Parse(received.GetRawText())), received.GetRawText());
        var live = await Client.PublishSeqAsync("a", "task.completed");
        Assert.Equal(live, SignalRClient.SeqOf((await client.NextAsync())!));
        Assert.Equal(1, Hub.Connections.Count(Transport.SignalR));
    }

    [Fact]
    public async Task MessagePack_protocol_delivers_the_event_as_a_map()
    {
        await Client.PublishSeqAsync("a", "task.progress", new { percent = 20, message = "Compiling" });
        await using var client = await ConnectAsync(messagePack: true);
        await client.Connection.InvokeAsync("Subscribe", "a", (long?)0, Timeout.Token);

        var map = Assert.IsType<Dictionary<object, object?>>(await client.NextAsync());
        Assert.Equal(1L, Convert.ToInt64(map["seq"]));
        Assert.Equal("a", map["task_id"]);
        Assert.Equal("task.progress", map["type"]);
        var data = Assert.IsType<Dictionary<object, object?>>(map["data"]);
        Assert.Equal(20L, Convert.ToInt64(data["percent"]));
        Assert.Equal("Compiling", data["message"]);
    }

    [Fact]
    public async Task Live_only_subscribe_and_unsubscribe()
    {
        await Client.PublishSeqAsync("a", "task.started");
        await using var client = await ConnectAsync();
        await client.Connection.InvokeAsync("Subscribe", "a", (long?)null, Timeout.Token);
        var live = await Client.PublishSeqAsync("a", "task.heartbeat");
        Assert.Equal(live, SignalRClient.SeqOf((await client.NextAsync())!));

        await client.Connection.InvokeAsync("Unsubscribe", "a", Timeout.Token);
        await Client.PublishSeqAsync("a", "task.heartbeat");
        await client.Connection.InvokeAsync("Subscribe", "b", (long?)null, Timeout.Token);
        var other = await Client.PublishSeqAsync("b", "task.heartbeat");
        // Nothing more from a: the next call is b's event.
        Assert.Equal(other, SignalRClient.SeqOf((await client.NextAsync())!));
    }

    [Fact]
    public async Task A_resume_point_older_than_retention_gets_reset_then_the_oldest_stored_events()
    {
        for (var i = 0; i < 10; i++)
        {
            await Client.PublishSeqAsync("a", "task.heartbeat");
        }
        await Hub.SweepAsync();
        await using var client = await ConnectAsync();
        await client.Connection.InvokeAsync("Subscribe", "a", (long?)1, Timeout.Token);

        Assert.Equal(new ResetCall(6), await client.NextAsync());
        Assert.Equal(6, SignalRClient.SeqOf((await client.NextAsync())!));
    }

    [Theory]
    [InlineData("bad id", 0L)]
    [InlineData("a", -1L)]
    public async Task Bad_subscribe_is_refused_with_a_hub_error(string taskId, long after)
    {
        await using var client = await ConnectAsync();
        var error = await Assert.ThrowsAsync<HubException>(() => client.Connection.InvokeAsync("Subscribe", taskId, (long?)after, Timeout.Token));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }
}
