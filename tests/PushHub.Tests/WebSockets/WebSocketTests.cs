using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using PushHub.Hub;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.WebSockets;

public sealed class WebSocketTests : LiveHubTest
{
    private Task<WsClient> ConnectAsync(string query = "") => WsClient.ConnectAsync(Hub.BaseAddress, query, Timeout.Token);

    [Fact]
    public async Task Query_subscription_acknowledges_then_sends_the_stored_event_json_then_live_events()
    {
        await Client.PublishSeqAsync("a", "task.started");
        await Client.PublishSeqAsync("b", "task.started");
        await using var ws = await ConnectAsync("?task=a&after=0");

        Assert.Equal("""{"op":"subscribed","task_id":"a","after":0}""", await ws.ReceiveTextAsync());
        var stored = (await Client.PollAsync("after=0&task=a")).Events.Single().ToJsonString();
        Assert.Equal(stored, await ws.ReceiveTextAsync());
        var live = await Client.PublishSeqAsync("a", "task.progress", new { percent = 5 });
        Assert.Equal(live, (await ws.ReceiveJsonAsync())["seq"]!.GetValue<long>());
        Assert.Equal(1, Hub.Connections.Count(Transport.WebSocket));
    }

    [Fact]
    public async Task Ops_subscribe_ping_and_unsubscribe_are_answered()
    {
        await Client.PublishSeqAsync("a", "task.started");
        await using var ws = await ConnectAsync();

        await ws.SendAsync("""{"op":"ping"}""");
        Assert.Equal("""{"op":"pong"}""", await ws.ReceiveTextAsync());
        await ws.SendAsync("""{"op":"subscribe","task_id":"a","after":0}""");
        Assert.Equal("""{"op":"subscribed","task_id":"a","after":0}""", await ws.ReceiveTextAsync());
        Assert.Equal(1, (await ws.ReceiveJsonAsync())["seq"]!.GetValue<long>());
        await ws.SendAsync("""{"op":"unsubscribe","task_id":"a"}""");
        Assert.Equal("""{"op":"unsubscribed","task_id":"a"}""", await ws.ReceiveTextAsync());

        await Client.PublishSeqAsync("a", "task.progress", new { percent = 1 });
        await ws.SendAsync("""{"op":"ping"}""");
        // No event for a after unsubscribing: the next frame is the pong.
        Assert.Equal("""{"op":"pong"}""", await ws.ReceiveTextAsync());
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"op":"dance"}""")]
    [InlineData("""{"op":"subscribe"}""")]
    [InlineData("""{"op":"subscribe","task_id":"a","after":-3}""")]
    [InlineData("""{"op":"unsubscribe","task_id":"never-subscribed"}""")]
    public async Task Malformed_frame_gets_an_error_frame_and_the_connection_stays_open(string frame)
    {
        await using var ws = await ConnectAsync();
        await ws.SendAsync(frame);

        var error = await ws.ReceiveJsonAsync();
        Assert.Equal("error", error["op"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(error["message"]!.GetValue<string>()));
        await ws.SendAsync("""{"op":"ping"}""");
        Assert.Equal("""{"op":"pong"}""", await ws.ReceiveTextAsync());
    }

    [Fact]
    public async Task Binary_frame_gets_an_error_frame()
    {
        await using var ws = await ConnectAsync();
        await ws.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, Timeout.Token);
        Assert.Equal("error", (await ws.ReceiveJsonAsync())["op"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_resume_point_older_than_retention_gets_a_reset_op_then_the_oldest_stored_events()
    {
        for (var i = 0; i < 10; i++)
        {
            await Client.PublishSeqAsync("a", "task.heartbeat");
        }
        await Hub.SweepAsync();
        await using var ws = await ConnectAsync("?task=a&after=1");

        Assert.Equal("subscribed", (await ws.ReceiveJsonAsync())["op"]!.GetValue<string>());
        Assert.Equal("""{"op":"reset","task_id":"a","first_seq":6}""", await ws.ReceiveTextAsync());
        var seqs = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            seqs.Add((await ws.ReceiveJsonAsync())["seq"]!.GetValue<long>());
        }
        Assert.Equal([6L, 7L, 8L, 9L, 10L], seqs);
    }

    [Fact]
    public async Task Type_filter_in_the_query_applies_to_the_connection()
    {
        await Client.PublishSeqAsync("a", "task.heartbeat");
        var progress = await Client.PublishSeqAsync("a", "task.progress", new { percent = 3 });
        await using var ws = await ConnectAsync("?task=a&after=0&type=task.progress");

        await ws.ReceiveJsonAsync();
        Assert.Equal(progress, (await ws.ReceiveJsonAsync())["seq"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("/events/ws", "WebSocket upgrade required")]
    [InlineData("/events/ws?after=x", "The request is not valid")]
    public async Task Plain_or_bad_request_is_a_400_problem(string path, string title)
    {
        using var response = await Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(title, (await response.ReadProblemAsync())["title"]!.GetValue<string>());
    }
}
