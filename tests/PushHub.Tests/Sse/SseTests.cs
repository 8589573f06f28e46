using System.Net;
using System.Text.Json.Nodes;
using PushHub.Hub;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Sse;

/// <summary>The SSE contract, run against both ways a stream is served (<c>Sse:ConnectionHandler</c>).</summary>
public abstract class SseSpec(bool connectionHandler)
    : LiveHubTest(new Dictionary<string, string?> { ["Sse:ConnectionHandler"] = connectionHandler ? "true" : "false" })
{
    [Fact]
    public async Task The_stream_comes_from_the_configured_path()
    {
        await using var sse = await SseClient.OpenAsync(Client, "?task=a", cancellationToken: Timeout.Token);
        // The connection handler's body ends with the connection; the endpoint's is chunked on a kept-alive one.
        Assert.Equal(connectionHandler, sse.Response.Headers.ConnectionClose == true);
        Assert.Equal(!connectionHandler, sse.Response.Headers.TransferEncodingChunked == true);
    }

    [Fact]
    public async Task Stream_has_the_contract_headers_a_retry_hint_first_and_one_frame_per_event()
    {
        var first = await Client.PublishSeqAsync("build-1", "task.started");
        var second = await Client.PublishSeqAsync("build-1", "task.progress", new { percent = 50 });

        await using var sse = await SseClient.OpenAsync(Client, "?task=build-1&after=0", cancellationToken: Timeout.Token);
        var items = new[] { (await sse.NextAsync())!.Value, (await sse.NextAsync())!.Value };

        // After the publishes the client has a pooled connection: the stream still came from the configured path.
        Assert.Equal(connectionHandler, sse.Response.Headers.ConnectionClose == true);
        Assert.Equal("text/event-stream", sse.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", sse.Response.Headers.CacheControl?.ToString());
        Assert.Equal("no", Assert.Single(sse.Response.Headers.GetValues("X-Accel-Buffering")));
        Assert.StartsWith("retry: 3000\n\n", sse.Raw, StringComparison.Ordinal);
        Assert.Equal([first.ToString(), second.ToString()], items.Select(item => item.EventId));
        Assert.Equal(["task.started", "task.progress"], items.Select(item => item.EventType));
        // data: is the stored event JSON, byte for byte what a poll answers.
        var polled = await Client.PollAsync("after=0");
        Assert.Equal(polled.Events.Select(e => e.ToJsonString()), items.Select(item => JsonNode.Parse(item.Data)!.ToJsonString()));
        Assert.Contains($"id: {second}\nevent: task.progress\ndata: {{\"seq\":{second},", sse.Raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Last_Event_ID_wins_over_after_and_repeated_task_and_type_filter()
    {
        for (var i = 0; i < 3; i++)
        {
            await Client.PublishSeqAsync("a", "task.progress", new { percent = i });
            await Client.PublishSeqAsync("b", "task.heartbeat");
            await Client.PublishSeqAsync("c", "task.progress", new { percent = i });
        }

        await using var sse = await SseClient.OpenAsync(Client, "?task=a&task=b&type=task.progress&after=0", lastEventId: 1, Timeout.Token);
        var item = (await sse.NextAsync())!.Value;
        var last = await Client.PublishSeqAsync("a", "task.progress", new { percent = 99 });
        var items = new List<long> { long.Parse(item.EventId!) };
        while (items[^1] != last)
        {
            items.Add(long.Parse((await sse.NextAsync())!.Value.EventId!));
        }

        // a's progress events after seq 1: 4, 7, then the live one.
        Assert.Equal([4L, 7L, last], items);
    }

    [Fact]
    public async Task A_resume_point_older_than_retention_gets_a_reset_then_the_oldest_stored_events()
    {
        for (var i = 0; i < 10; i++)
        {
            await Client.PublishSeqAsync("a", "task.heartbeat");
        }
        await Hub.SweepAsync();

        await using var sse = await SseClient.OpenAsync(Client, "?after=2", cancellationToken: Timeout.Token);
        var reset = (await sse.NextAsync())!.Value;
        Assert.Equal("reset", reset.EventType);
        Assert.Equal("""{"first_seq":6}""", reset.Data);
        Assert.Contains("event: reset\ndata: {\"first_seq\":6}\n\n", sse.Raw, StringComparison.Ordinal);
        var seqs = new List<string?>();
        for (var i = 0; i < 5; i++)
        {
            seqs.Add((await sse.NextAsync())!.Value.EventId);
        }
        Assert.Equal(["6", "7", "8", "9", "10"], seqs);
    }

    [Theory]
    [InlineData("?after=-1", "after")]
    [InlineData("?after=abc", "after")]
    [InlineData("?task=no%20spaces", "task")]
    [InlineData("?type=Not.Lower", "type")]
    [InlineData("?after=1&after=2", "after")]
    [InlineData("?limit=5", "limit")]
    public async Task Bad_query_is_a_400_problem(string query, string field)
    {
        using var response = await Client.GetAsync("/events/sse" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.ReadProblemAsync())["errors"]![field]);
    }

    [Fact]
    public async Task Bad_Last_Event_ID_is_a_400_problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/events/sse");
        request.Headers.Add("Last-Event-ID", "x1");
        using var response = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.ReadProblemAsync())["errors"]!["Last-Event-ID"]);
    }

    [Fact]
    public async Task Open_streams_are_counted_per_transport()
    {
        await using (var sse = await SseClient.OpenAsync(Client, "?task=a", cancellationToken: Timeout.Token))
        {
            await LiveHub.EventuallyAsync(() => Hub.Connections.Count(Transport.Sse) == 1, Timeout.Token);
        }
        await LiveHub.EventuallyAsync(() => Hub.Connections.Count(Transport.Sse) == 0, Timeout.Token);
    }
}

public sealed class SseOverConnectionHandlerTests() : SseSpec(connectionHandler: true);

public sealed class SseOverEndpointTests() : SseSpec(connectionHandler: false);
