using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using PushHub.Hub;
using PushHub.Storage;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Security;
using Serilog.Core;

namespace PushHub.Tests.Events;

/// <summary>
/// <c>Hub:PollConnectionHandler</c> on the wire: the bytes of the polls it answers on a kept-alive connection, and
/// every request it does not answer reaching Kestrel's pipeline as sent.
/// </summary>
public sealed class PollConnectionHandlerTests : IDisposable
{
    private readonly RequestLogSink _log = new();
    private readonly LiveHub _hub;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));

    public PollConnectionHandlerTests() => _hub = new LiveHub(
        new Dictionary<string, string?>
        {
            ["Cors:AllowedOrigins:0"] = "https://app.example",
            ["Retention:MaxEvents"] = "3",
            ["Retention:Interval"] = "1.00:00:00",
        },
        services: services => services.AddSingleton<ILogEventSink>(_log));

    public void Dispose()
    {
        _timeout.Dispose();
        _hub.Dispose();
    }

    private string Host => _hub.BaseAddress.Authority;

    [Fact]
    public async Task Its_answers_carry_the_endpoints_body_byte_for_byte_with_a_length_on_a_kept_alive_connection()
    {
        await _hub.Client.PublishSeqAsync("a", "task.started");
        await _hub.Client.PublishSeqAsync("b", "task.progress", new { percent = 40, note = "ünïcode \"quoted\"" });
        await _hub.Client.PublishSeqAsync("a", "task.completed");
        await _hub.Client.PublishSeqAsync("a", "task.heartbeat");
        await _hub.SweepAsync(); // keeps 3: a poll from 0 is told it missed one

        string[] queries = ["after=0", "after=1&task=a", "after=1&limit=2", "after=2&type=task.progress", "after=4", "after=1&task=zzz&wait=0"];
        await using var handler = await RawConnection.OpenAsync(_hub, _timeout.Token);
        await using var pipeline = await RawConnection.OpenAsync(_hub, _timeout.Token);
        foreach (var query in queries)
        {
            await handler.SendAsync($"GET /events?{query} HTTP/1.1\r\nHost: {Host}\r\n\r\n");
            // The endpoint matches paths without regard to case; the handler only the exact one.
            await pipeline.SendAsync($"GET /EVENTS?{query} HTTP/1.1\r\nHost: {Host}\r\n\r\n");
            var (head, body) = await handler.ReadResponseAsync();
            var (pipelineHead, pipelineBody) = await pipeline.ReadResponseAsync();

            Assert.Equal(pipelineBody, body);
            Assert.StartsWith("HTTP/1.1 200 OK\r\n", head, StringComparison.Ordinal);
            Assert.Contains($"\r\nContent-Length: {System.Text.Encoding.Latin1.GetByteCount(body)}\r\n", head, StringComparison.Ordinal);
            Assert.Contains("\r\nTransfer-Encoding: chunked\r\n", pipelineHead, StringComparison.Ordinal);
            Assert.DoesNotContain("Connection:", head, StringComparison.Ordinal);
            // Every other header is the pipeline's, values aside from the date and the request id.
            Assert.Equal(HeaderNames(pipelineHead).Except(["Transfer-Encoding"]).Order(), HeaderNames(head).Except(["Content-Length"]).Order());
            Assert.Contains("\r\nContent-Type: application/json; charset=utf-8\r\n", head, StringComparison.Ordinal);
            Assert.Contains("\r\nServer: Kestrel\r\n", head, StringComparison.Ordinal);
        }
        Assert.Contains("\"truncated\":true", (await PollBodyAsync("after=0")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pipelined_polls_are_answered_in_order_and_a_publish_after_them_is_the_pipelines()
    {
        await using var raw = await RawConnection.OpenAsync(_hub, _timeout.Token);
        const string body = """{"task_id":"a","type":"task.started"}""";
        await raw.SendAsync(
            $"GET /events?after=0 HTTP/1.1\r\nHost: {Host}\r\n\r\n" +
            $"GET /events?after=0&task=b HTTP/1.1\r\nHost: {Host}\r\n\r\n" +
            $"POST /events HTTP/1.1\r\nHost: {Host}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        var (first, firstBody) = await raw.ReadResponseAsync();
        var (second, _) = await raw.ReadResponseAsync();
        var (third, thirdBody) = await raw.ReadResponseAsync();

        Assert.Equal("""{"events":[],"last_seq":0,"truncated":false}""", firstBody);
        Assert.Contains("Content-Length: ", second, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 202 Accepted\r\n", third, StringComparison.Ordinal);
        Assert.Contains("\"seq\":1", thirdBody, StringComparison.Ordinal);

        // Each request its own id: the handler's are told apart from Kestrel's numbering, which restarts at the
        // first request it sees on the connection.
        string[] ids = [RequestId(first), RequestId(second), RequestId(third)];
        Assert.Equal(3, ids.Distinct().Count());
        Assert.EndsWith(":P0000001", ids[0], StringComparison.Ordinal);
        Assert.EndsWith(":P0000002", ids[1], StringComparison.Ordinal);
        Assert.EndsWith(":00000001", ids[2], StringComparison.Ordinal);

        // And the connection stays the pipeline's: a poll now is the endpoint's (chunked).
        await raw.SendAsync($"GET /events?after=0 HTTP/1.1\r\nHost: {Host}\r\n\r\n");
        var (fourth, fourthBody) = await raw.ReadResponseAsync();
        Assert.Contains("Transfer-Encoding: chunked", fourth, StringComparison.Ordinal);
        Assert.Contains("\"last_seq\":1", fourthBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_given_X_Request_ID_is_echoed_and_logged_as_the_pipeline_logs_a_request()
    {
        await using var raw = await RawConnection.OpenAsync(_hub, _timeout.Token);
        await raw.SendAsync($"GET /events?after=0 HTTP/1.1\r\nHost: {Host}\r\nX-Request-ID: poll-7\r\n\r\n");
        var (head, _) = await raw.ReadResponseAsync();
        Assert.Contains("\r\nX-Request-ID: poll-7\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Content-Length: ", head, StringComparison.Ordinal);

        await LiveHub.EventuallyAsync(() => _log.Lines.Any(line => line.Contains("poll-7", StringComparison.Ordinal)), _timeout.Token);
        var logged = _log.Lines.Single(line => line.Contains("poll-7", StringComparison.Ordinal));
        Assert.StartsWith("HTTP \"GET\" \"/events\" responded 200 in ", logged, StringComparison.Ordinal);
        Assert.Contains("SourceContext=\"Serilog.AspNetCore.RequestLoggingMiddleware\"", logged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_poll_that_asks_to_close_is_answered_then_closed()
    {
        await using var raw = await RawConnection.OpenAsync(_hub, _timeout.Token);
        await raw.SendAsync($"GET /events?after=0 HTTP/1.1\r\nHost: {Host}\r\nConnection: close\r\n\r\n");
        var (head, body) = await raw.ReadResponseAsync();
        Assert.Contains("\r\nConnection: close\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Content-Length: ", head, StringComparison.Ordinal);
        Assert.Equal("""{"events":[],"last_seq":0,"truncated":false}""", body);
        Assert.True(await raw.EndsAsync());
    }

    [Fact]
    public async Task A_client_that_leaves_a_parked_poll_is_logged_as_gone_and_leaves_the_feed()
    {
        var feed = _hub.Factory.Services.GetRequiredService<IEventFeed>();
        await using (var raw = await RawConnection.OpenAsync(_hub, _timeout.Token))
        {
            await raw.SendAsync($"GET /events?after=0&task=a&wait=60 HTTP/1.1\r\nHost: {Host}\r\nX-Request-ID: leaving-1\r\n\r\n");
            await LiveHub.EventuallyAsync(() => feed.GetStats().Total == 1, _timeout.Token);
        }
        await LiveHub.EventuallyAsync(() => feed.GetStats().Total == 0, _timeout.Token);
        await LiveHub.EventuallyAsync(() => _log.Lines.Any(line => line.Contains("leaving-1", StringComparison.Ordinal)), _timeout.Token);
        Assert.StartsWith("HTTP \"GET\" \"/events\" responded 499 in ", _log.Lines.Single(line => line.Contains("leaving-1", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("X-Api-Key: not-a-key", true)]
    [InlineData("Authorization: Bearer not-a-key", true)]
    [InlineData("Authorization: Basic eA==", true)]
    [InlineData("X-Api-Key: a\r\nX-Api-Key: b", true)]
    [InlineData("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln", false)] // a token's shape: checked as a token
    public async Task In_open_mode_a_presented_key_is_answered_as_the_pipeline_answers_it(string credential, bool served)
    {
        await using var handler = await RawConnection.OpenAsync(_hub, _timeout.Token);
        await using var pipeline = await RawConnection.OpenAsync(_hub, _timeout.Token);
        await handler.SendAsync($"GET /events?after=0 HTTP/1.1\r\nHost: {Host}\r\n{credential}\r\n\r\n");
        await pipeline.SendAsync($"GET /EVENTS?after=0 HTTP/1.1\r\nHost: {Host}\r\n{credential}\r\n\r\n");
        var (head, body) = await handler.ReadResponseAsync();
        var (pipelineHead, pipelineBody) = await pipeline.ReadResponseAsync();
        Assert.Equal(pipelineHead[..pipelineHead.IndexOf('\r')], head[..head.IndexOf('\r')]);
        Assert.Contains(served ? ":P0000001\r\n" : ":00000001\r\n", head, StringComparison.Ordinal); // whose request id
        if (served)
        {
            Assert.Equal(pipelineBody, body);
        }
    }

    [Fact]
    public async Task Its_polls_are_counted_in_the_pipelines_request_duration_series()
    {
        using var metrics = new RequestMetrics(_hub.Factory.Services.GetRequiredService<IMeterFactory>());
        // A poll the pipeline answers (the handler leaves one with a body header): its tags are the ones to match.
        await using (var pipeline = await RawConnection.OpenAsync(_hub, _timeout.Token))
        {
            await pipeline.SendAsync($"GET /events?after=0 HTTP/1.1\r\nHost: {Host}\r\nContent-Length: 0\r\n\r\n");
            Assert.Contains("\r\nTransfer-Encoding: chunked\r\n", (await pipeline.ReadResponseAsync()).Head, StringComparison.Ordinal);
        }
        // The marker: the pipeline records a request once its answer is out.
        await LiveHub.EventuallyAsync(() => metrics.Durations.Count == 1, _timeout.Token);

        await using var raw = await RawConnection.OpenAsync(_hub, _timeout.Token);
        await raw.SendAsync($"GET /events?after=0 HTTP/1.1\r\nHost: {Host}\r\n\r\nGET /events?after=0 HTTP/1.1\r\nHost: {Host}\r\n\r\n");
        Assert.Contains(":P0000001\r\n", (await raw.ReadResponseAsync()).Head, StringComparison.Ordinal);
        Assert.Contains(":P0000002\r\n", (await raw.ReadResponseAsync()).Head, StringComparison.Ordinal);
        await LiveHub.EventuallyAsync(() => metrics.Durations.Count == 3, _timeout.Token);
        // One series: the handler's two with exactly the pipeline's tags (route, status, method, scheme, version).
        Assert.Single(metrics.Durations.Distinct());
        Assert.Contains("http.response.status_code=200", metrics.Durations[0], StringComparison.Ordinal);
        Assert.Contains("http.route=/events", metrics.Durations[0], StringComparison.Ordinal);
        Assert.Equal(0, metrics.Active);
    }

    [Fact]
    public async Task A_parked_poll_is_an_active_request_until_it_is_answered()
    {
        using var metrics = new RequestMetrics(_hub.Factory.Services.GetRequiredService<IMeterFactory>());
        var feed = _hub.Factory.Services.GetRequiredService<IEventFeed>();
        await using var raw = await RawConnection.OpenAsync(_hub, _timeout.Token);
        await raw.SendAsync($"GET /events?after=0&task=active&wait=60 HTTP/1.1\r\nHost: {Host}\r\n\r\n");
        await LiveHub.EventuallyAsync(() => feed.GetStats().Total == 1, _timeout.Token);
        Assert.Equal(1, metrics.Active);

        await _hub.Client.PublishSeqAsync("active", "task.started");
        var (head, _) = await raw.ReadResponseAsync();
        Assert.Contains(":P0000001\r\n", head, StringComparison.Ordinal);
        // The marker: the poll and the publish both recorded (a poll never taken off would stay active).
        await LiveHub.EventuallyAsync(() => metrics.Durations.Count == 2, _timeout.Token);
        Assert.Equal(0, metrics.Active);
    }

    public static TheoryData<string, string, string> NotAnsweredHere => new()
    {
        // head (HOST stands for the hub's authority), the status line expected, a header line the pipeline adds
        { "GET /events?after=0 HTTP/1.1\r\nHost: HOST\r\nOrigin: https://app.example\r\n\r\n", "HTTP/1.1 200 OK", "Access-Control-Allow-Origin: https://app.example" },
        { "GET /events?wait=61 HTTP/1.1\r\nHost: HOST\r\n\r\n", "HTTP/1.1 400 Bad Request", "Content-Type: application/problem+json" },
        { "GET /events?bogus=1 HTTP/1.1\r\nHost: HOST\r\n\r\n", "HTTP/1.1 400 Bad Request", "Content-Type: application/problem+json" },
        { "GET /events?after=0 HTTP/1.0\r\nHost: HOST\r\n\r\n", "HTTP/1.1 200 OK", "Content-Type: application/json; charset=utf-8" },
        { "HEAD /events?after=0 HTTP/1.1\r\nHost: HOST\r\n\r\n", "HTTP/1.1 405 Method Not Allowed", "Allow: GET, POST" },
        { "GET /events/?after=0 HTTP/1.1\r\nHost: HOST\r\n\r\n", "HTTP/1.1 200 OK", "Transfer-Encoding: chunked" },
        { "GET /events?after=0 HTTP/1.1\r\nHost: HOST\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 200 OK", "Transfer-Encoding: chunked" },
    };

    [Theory]
    [MemberData(nameof(NotAnsweredHere))]
    public async Task A_request_it_does_not_answer_reaches_the_pipeline_as_sent(string head, string status, string header)
    {
        await using var raw = await RawConnection.OpenAsync(_hub, _timeout.Token);
        await raw.SendAsync(head.Replace("HOST", Host, StringComparison.Ordinal));
        var text = await raw.ReadUntilAsync("\r\n\r\n");
        var answer = text[..(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 2)];
        Assert.StartsWith(status + "\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("\r\n" + header + "\r\n", answer, StringComparison.Ordinal);
        // The pipeline's answer, not the handler's: Kestrel's request id, and no length for a poll's JSON.
        Assert.Contains(":00000001\r\n", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("Content-Length", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_poll_after_good_ones_on_the_same_connection_gets_the_pipelines_problem()
    {
        await using var raw = await RawConnection.OpenAsync(_hub, _timeout.Token);
        await raw.SendAsync($"GET /events?after=0 HTTP/1.1\r\nHost: {Host}\r\n\r\nGET /events?limit=0 HTTP/1.1\r\nHost: {Host}\r\n\r\n");
        var (first, _) = await raw.ReadResponseAsync();
        var (second, problem) = await raw.ReadResponseAsync();
        Assert.Contains("Content-Length: ", first, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", second, StringComparison.Ordinal);
        Assert.Contains("\"limit\"", problem, StringComparison.Ordinal);
    }

    private async Task<string> PollBodyAsync(string query)
    {
        await using var raw = await RawConnection.OpenAsync(_hub, _timeout.Token);
        await raw.SendAsync($"GET /events?{query} HTTP/1.1\r\nHost: {Host}\r\n\r\n");
        return (await raw.ReadResponseAsync()).Body;
    }

    private static IEnumerable<string> HeaderNames(string head) =>
        head.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(line => line[..line.IndexOf(':', StringComparison.Ordinal)]);

    private static string RequestId(string head) =>
        head.Split("\r\n").Single(line => line.StartsWith("X-Request-ID: ", StringComparison.Ordinal))["X-Request-ID: ".Length..];
}

/// <summary>A poll the handler cannot answer, and a client that does not read its answer.</summary>
public sealed class PollConnectionHandlerFaultTests : IDisposable
{
    private readonly FailingReads.Switch _failing = new();
    private readonly RequestLogSink _log = new();
    private readonly LiveHub _hub;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    public PollConnectionHandlerFaultTests() => _hub = new LiveHub(
        new Dictionary<string, string?> { ["Hub:StalledWriteTimeout"] = "00:00:01" },
        services: services =>
        {
            FailingReads.Decorate(services, _failing);
            services.AddSingleton<ILogEventSink>(_log);
        });

    [Fact]
    public async Task A_client_that_leaves_a_parked_poll_costs_no_store_read()
    {
        var head = await _hub.Client.PublishSeqAsync("a", "task.started");
        var feed = _hub.Factory.Services.GetRequiredService<IEventFeed>();
        var reads = _failing.Reads;
        await using (var raw = await RawConnection.OpenAsync(_hub, _timeout.Token))
        {
            // At the head: it parks without a read.
            await raw.SendAsync($"GET /events?after={head}&task=a&wait=60 HTTP/1.1\r\nHost: {_hub.BaseAddress.Authority}\r\nX-Request-ID: gone-1\r\n\r\n");
            await LiveHub.EventuallyAsync(() => feed.GetStats().Total == 1, _timeout.Token);
        }
        // The marker: the poll's last act is its 499 line.
        await LiveHub.EventuallyAsync(() => _log.Lines.Any(line => line.Contains("gone-1", StringComparison.Ordinal)), _timeout.Token);
        Assert.Contains("responded 499", _log.Lines.Single(line => line.Contains("gone-1", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal(reads, _failing.Reads);
    }

    public void Dispose()
    {
        _timeout.Dispose();
        _hub.Dispose();
    }

    [Fact]
    public async Task A_poll_whose_store_read_fails_is_answered_by_the_pipeline_as_sent_and_the_connection_goes_on()
    {
        using var metrics = new RequestMetrics(_hub.Factory.Services.GetRequiredService<IMeterFactory>());
        await using var raw = await RawConnection.OpenAsync(_hub, _timeout.Token);
        _failing.On = true;
        await raw.SendAsync($"GET /events?after=0&task=a HTTP/1.1\r\nHost: {_hub.BaseAddress.Authority}\r\nX-Trace: kept\r\n\r\n");
        var (failed, problem) = await raw.ReadResponseAsync();
        // The pipeline's exception handler answered (its problem has a trace id); the handler wrote nothing.
        Assert.StartsWith("HTTP/1.1 500 Internal Server Error\r\n", failed, StringComparison.Ordinal);
        Assert.Contains("\r\nContent-Type: application/problem+json\r\n", failed, StringComparison.Ordinal);
        Assert.Contains("\r\nCache-Control: no-cache,no-store\r\n", failed, StringComparison.Ordinal); // the exception handler's
        Assert.Contains(":00000001\r\n", failed, StringComparison.Ordinal); // Kestrel's request id, kept on a 500
        Assert.Contains("\r\nTransfer-Encoding: chunked\r\n", failed, StringComparison.Ordinal);
        Assert.Contains("\"traceId\"", problem.Replace("trace_id", "traceId", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(2, _failing.Failures); // once on the handler, once in the pipeline
        // Counted once, by the pipeline: the handler took its own count back.
        await LiveHub.EventuallyAsync(() => metrics.Durations.Count == 1, _timeout.Token);
        Assert.Contains("http.response.status_code=500", metrics.Durations[0], StringComparison.Ordinal);
        Assert.Equal(0, metrics.Active);

        _failing.On = false;
        var seq = await _hub.Client.PublishSeqAsync("a", "task.started");
        await raw.SendAsync($"GET /events?after=0&task=a HTTP/1.1\r\nHost: {_hub.BaseAddress.Authority}\r\n\r\n");
        var (answered, body) = await raw.ReadResponseAsync();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answered, StringComparison.Ordinal);
        Assert.Contains($"\"seq\":{seq},", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_poll_answered_to_a_client_that_takes_no_JSON_still_carries_its_request_id()
    {
        await using var raw = await RawConnection.OpenAsync(_hub, _timeout.Token);
        _failing.On = true;
        await raw.SendAsync($"GET /events?after=0&task=a HTTP/1.1\r\nHost: {_hub.BaseAddress.Authority}\r\nAccept: text/html\r\nX-Request-ID: broken-1\r\n\r\n");
        var (failed, body) = await raw.ReadResponseAsync();
        // The exception handler's empty 500 (no problem writer takes text/html), with the id the client gave.
        Assert.StartsWith("HTTP/1.1 500 Internal Server Error\r\n", failed, StringComparison.Ordinal);
        Assert.Equal("", body);
        Assert.Contains("\r\nX-Request-ID: broken-1\r\n", failed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_does_not_read_its_answer_is_closed_after_the_stalled_write_timeout()
    {
        for (var i = 0; i < 20; i++)
        {
            await _hub.Client.PublishBatchAsync("big", 20, "task.heartbeat", new System.Text.Json.Nodes.JsonObject { ["pad"] = new string('x', 16 * 1024) }, _timeout.Token);
        }
        var counters = _hub.Factory.Services.GetRequiredService<SubscriberCounters>();
        await using var raw = await RawConnection.OpenAsync(_hub, _timeout.Token, receiveBufferBytes: 4096);
        // About 6.5 MB in one answer, more than the sockets' buffers hold: the hub's write waits on this client.
        await raw.SendAsync($"GET /events?after=0&limit=1000 HTTP/1.1\r\nHost: {_hub.BaseAddress.Authority}\r\n\r\n");
        await LiveHub.EventuallyAsync(() => counters.StalledCloses == 1, _timeout.Token);
        var received = await raw.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", received, StringComparison.Ordinal);
        Assert.True(received.Length < 400 * 16 * 1024, "the whole answer arrived: the connection was not cut");
    }
}

/// <summary>Idle kept-alive connections: closed after Kestrel's keep-alive timeout, as Kestrel closes its own.</summary>
public sealed class PollConnectionHandlerKeepAliveTests
{
    [Fact]
    public async Task An_idle_connection_after_its_polls_is_closed_after_the_keep_alive_timeout()
    {
        using var hub = new LiveHub(new Dictionary<string, string?> { ["Kestrel:Limits:KeepAliveTimeout"] = "00:00:01" });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var raw = await RawConnection.OpenAsync(hub, timeout.Token);
        await raw.SendAsync($"GET /events?after=0 HTTP/1.1\r\nHost: {hub.BaseAddress.Authority}\r\n\r\n");
        var (head, _) = await raw.ReadResponseAsync();
        Assert.Contains("Content-Length: ", head, StringComparison.Ordinal);
        // The marker: the server ends the connection by itself (a hung one would fail at the 30 s bound).
        Assert.True(await raw.EndsAsync());
    }
}
