using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using PushHub.Hub;
using PushHub.Security;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Security;
using Serilog.Core;
using Serilog.Events;

namespace PushHub.Tests.Sse;

/// <summary>
/// <c>Sse:ConnectionHandler</c> on the wire: the bytes of a stream it serves, and every request it does not serve
/// reaching Kestrel's pipeline as sent (answered as the endpoint answers it, or as Kestrel rejects it).
/// </summary>
public sealed class SseConnectionHandlerTests : IDisposable
{
    private readonly RequestLogSink _log = new();
    private readonly LiveHub _hub;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));

    public SseConnectionHandlerTests() => _hub = new LiveHub(
        new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = "https://app.example" },
        services: services => services.AddSingleton<ILogEventSink>(_log));

    public void Dispose()
    {
        _timeout.Dispose();
        _hub.Dispose();
    }

    [Fact]
    public async Task A_stream_it_serves_has_the_endpoints_headers_the_events_as_stored_and_ends_when_the_client_leaves()
    {
        var seq = await _hub.Client.PublishSeqAsync("build-1", "task.started");
        var polled = (await _hub.Client.PollAsync("after=0")).Events.Single()!.ToJsonString();

        await using (var raw = await RawConnection.OpenAsync(_hub, _timeout.Token))
        {
            await raw.SendAsync($"GET /events/sse?task=build-1&after=0 HTTP/1.1\r\nHost: {_hub.BaseAddress.Authority}\r\nX-Request-ID: trace-7\r\n\r\n");
            var text = await raw.ReadUntilAsync("\n\n" + $"id: {seq}\n", "\n\n");
            var (head, body) = Split(text);
            Assert.StartsWith("HTTP/1.1 200 OK\r\n", head, StringComparison.Ordinal);
            Assert.Contains("\r\nContent-Type: text/event-stream\r\n", head, StringComparison.Ordinal);
            Assert.Contains("\r\nCache-Control: no-cache\r\n", head, StringComparison.Ordinal);
            Assert.Contains("\r\nX-Accel-Buffering: no\r\n", head, StringComparison.Ordinal);
            Assert.Contains("\r\nX-Request-ID: trace-7\r\n", head, StringComparison.Ordinal);
            // No framing: the body is delimited by the connection's end.
            Assert.Contains("\r\nConnection: close\r\n", head, StringComparison.Ordinal);
            Assert.DoesNotContain("Transfer-Encoding", head, StringComparison.OrdinalIgnoreCase);
            Assert.Equal($"retry: 3000\n\nid: {seq}\nevent: task.started\ndata: {polled}\n\n", body);
            Assert.Equal(1, _hub.Connections.Count(Transport.Sse));
        }

        // The client left: the stream ends (a marker: the count drops) and is logged as the pipeline logs a request.
        await LiveHub.EventuallyAsync(() => _hub.Connections.Count(Transport.Sse) == 0, _timeout.Token);
        await LiveHub.EventuallyAsync(() => _log.Lines.Any(line => line.Contains("/events/sse", StringComparison.Ordinal)), _timeout.Token);
        var logged = _log.Lines.Single(line => line.Contains("/events/sse", StringComparison.Ordinal));
        Assert.StartsWith("HTTP \"GET\" \"/events/sse\" responded 200 in ", logged, StringComparison.Ordinal);
        Assert.Contains("RequestId=\"trace-7\"", logged, StringComparison.Ordinal);
        Assert.Contains("SourceContext=\"Serilog.AspNetCore.RequestLoggingMiddleware\"", logged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_it_serves_is_an_active_request_then_counted_in_the_pipelines_duration_series()
    {
        using var metrics = new RequestMetrics(_hub.Factory.Services.GetRequiredService<IMeterFactory>());
        // A stream the pipeline serves (through CORS: it has an Origin), for the tags to match.
        await using (var pipeline = await RawConnection.OpenAsync(_hub, _timeout.Token))
        {
            await pipeline.SendAsync($"GET /events/sse?task=build-1 HTTP/1.1\r\nHost: {_hub.BaseAddress.Authority}\r\nOrigin: https://app.example\r\n\r\n");
            Assert.Contains("\r\nTransfer-Encoding: chunked\r\n", await pipeline.ReadUntilAsync("retry: "), StringComparison.Ordinal);
            Assert.Equal(1, metrics.Active);
        }
        await LiveHub.EventuallyAsync(() => metrics.Durations.Count == 1, _timeout.Token);

        await using (var raw = await RawConnection.OpenAsync(_hub, _timeout.Token))
        {
            await raw.SendAsync($"GET /events/sse?task=build-1 HTTP/1.1\r\nHost: {_hub.BaseAddress.Authority}\r\n\r\n");
            Assert.Contains("\r\nConnection: close\r\n", await raw.ReadUntilAsync("retry: "), StringComparison.Ordinal); // the handler's
            Assert.Equal(1, metrics.Active);
        }
        // The client left (the marker: its duration recorded), with the pipeline's tags, and nothing is active.
        await LiveHub.EventuallyAsync(() => metrics.Durations.Count == 2, _timeout.Token);
        Assert.Single(metrics.Durations.Distinct());
        Assert.Contains("http.route=/events/sse", metrics.Durations[0], StringComparison.Ordinal);
        Assert.Equal(0, metrics.Active);
    }

    public static TheoryData<string, string, string> NotServedHere => new()
    {
        // head (HOST stands for the hub's authority), the status line expected, a header line the pipeline adds
        { "GET /events/sse?task=a HTTP/1.1\r\nHost: HOST\r\nOrigin: https://app.example\r\n\r\n", "HTTP/1.1 200 OK", "Access-Control-Allow-Origin: https://app.example" },
        { "GET /events/sse?task=a&bogus=1 HTTP/1.1\r\nHost: HOST\r\n\r\n", "HTTP/1.1 400 Bad Request", "Content-Type: application/problem+json" },
        { "GET /events/sse?task=a HTTP/1.1\r\nHost: HOST\r\nLast-Event-ID: x\r\n\r\n", "HTTP/1.1 400 Bad Request", "Content-Type: application/problem+json" },
        { "POST /events/sse?task=a HTTP/1.1\r\nHost: HOST\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405 Method Not Allowed", "Allow: GET" },
        { "GET /events/sse?task=a HTTP/1.1\r\nHost: HOST\r\nHost: HOST\r\n\r\n", "HTTP/1.1 400 Bad Request", "Connection: close" },
        { "GET /events/sse?task=a HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request", "Connection: close" },
        { "GET /events/sse?task=a HTTP/1.1\r\nHost: HOST\r\nX-Folded: a\r\n b\r\n\r\n", "HTTP/1.1 400 Bad Request", "Connection: close" },
        { "GET /events/sse?task=a HTTP/1.1\r\nHost: HOST\r\nBad Name: a\r\n\r\n", "HTTP/1.1 400 Bad Request", "Connection: close" },
        { "GET /Events/SSE?task=a HTTP/1.1\r\nHost: HOST\r\n\r\n", "HTTP/1.1 200 OK", "Transfer-Encoding: chunked" },
        { "GET /events/sse?task=a HTTP/1.1\r\nHost: :1\r\n\r\n", "HTTP/1.1 400 Bad Request", "Connection: close" },
        { "GET /events/sse?task=a HTTP/1.1\r\nHost: a:b\r\n\r\n", "HTTP/1.1 400 Bad Request", "Connection: close" },
        // appsettings.json's Kestrel:Limits:MaxRequestHeaderCount is 64
        { "GET /events/sse?task=a HTTP/1.1\r\nHost: HOST\r\n" + string.Concat(Enumerable.Range(1, 64).Select(i => $"X-{i}: v\r\n")) + "\r\n",
            "HTTP/1.1 431 Request Header Fields Too Large", "Connection: close" },
        { "GET /events/sse?task=a HTTP/1.1\r\nHost: HOST\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", "HTTP/1.1 200 OK", "Transfer-Encoding: chunked" },
    };

    [Theory]
    [MemberData(nameof(NotServedHere))]
    public async Task A_request_it_does_not_serve_reaches_the_pipeline_as_sent(string head, string status, string header)
    {
        await using var raw = await RawConnection.OpenAsync(_hub, _timeout.Token);
        await raw.SendAsync(head.Replace("HOST", _hub.BaseAddress.Authority, StringComparison.Ordinal));
        var (answer, _) = Split(await raw.ReadUntilAsync("\r\n\r\n"));
        Assert.StartsWith(status + "\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("\r\n" + header, answer + "\r\n", StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_head_that_comes_in_pieces_still_gets_its_stream()
    {
        var seq = await _hub.Client.PublishSeqAsync("build-1", "task.started");
        await using var raw = await RawConnection.OpenAsync(_hub, _timeout.Token);
        await raw.SendAsync("GET /events/sse?task=build-1&after=0 HT");
        await Task.Yield();
        await raw.SendAsync($"TP/1.1\r\nHost: {_hub.BaseAddress.Authority}\r\n\r\n");
        var (head, body) = Split(await raw.ReadUntilAsync($"id: {seq}\n"));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", head, StringComparison.Ordinal);
        Assert.Contains($"id: {seq}\nevent: task.started\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_asked_for_after_a_poll_on_the_same_connection_is_the_pipelines()
    {
        await using var raw = await RawConnection.OpenAsync(_hub, _timeout.Token);
        await raw.SendAsync($"GET /events?after=0 HTTP/1.1\r\nHost: {_hub.BaseAddress.Authority}\r\n\r\n");
        await raw.ReadUntilAsync("\"truncated\":false}"); // the poll, answered by the handler
        await raw.SendAsync($"GET /events/sse?task=a HTTP/1.1\r\nHost: {_hub.BaseAddress.Authority}\r\n\r\n");
        var text = await raw.ReadUntilAsync("retry: 3000\n\n");
        var second = text[text.IndexOf("\"truncated\":false}", StringComparison.Ordinal)..];
        Assert.Contains("Transfer-Encoding: chunked", second, StringComparison.Ordinal);
        Assert.DoesNotContain("Connection: close", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_X_Request_ID_the_stream_is_named_as_Kestrel_names_a_connections_first_request()
    {
        await using var raw = await RawConnection.OpenAsync(_hub, _timeout.Token);
        await raw.SendAsync($"GET /events/sse?task=a HTTP/1.1\r\nHost: {_hub.BaseAddress.Authority}\r\nX-Request-ID: bad id\r\n\r\n");
        var (head, _) = Split(await raw.ReadUntilAsync("retry: 3000\n\n"));
        Assert.Contains("\r\nConnection: close\r\n", head, StringComparison.Ordinal);
        Assert.Matches(@"\r\nX-Request-ID: [0-9A-Z]{13}:00000001\r\n", head);
    }

    [Fact]
    public async Task A_stopping_hub_does_not_wait_for_a_connection_that_sent_nothing_yet()
    {
        // Kestrel would give it five minutes to send a head; the test's own bound is 30 s.
        using var hub = new LiveHub(new Dictionary<string, string?> { ["Kestrel:Limits:RequestHeadersTimeout"] = "00:05:00" });
        await using var raw = await RawConnection.OpenAsync(hub, _timeout.Token);
        await raw.SendAsync("");

        var stopping = hub.Factory.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
        var server = hub.Factory.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>();
        var stopped = server.StopAsync(_timeout.Token);
        stopping.StopApplication();
        Assert.True(await raw.EndsAsync(), "the server sent bytes to a connection that asked nothing");
        await stopped;
    }

    [Fact]
    public async Task An_infinite_RequestHeadersTimeout_still_serves_streams_and_everything_else()
    {
        using var hub = new LiveHub(new Dictionary<string, string?> { ["Kestrel:Limits:RequestHeadersTimeout"] = "-00:00:00.001" });
        var seq = await hub.Client.PublishSeqAsync("build-1", "task.started");
        await using var sse = await SseClient.OpenAsync(hub.Client, "?task=build-1&after=0", cancellationToken: _timeout.Token);
        Assert.True(sse.Response.Headers.ConnectionClose);
        Assert.Equal(seq.ToString(System.Globalization.CultureInfo.InvariantCulture), (await sse.NextAsync())!.Value.EventId);
    }

    [Fact]
    public async Task With_AllowedHosts_set_every_stream_goes_through_host_filtering()
    {
        using var hub = new LiveHub(new Dictionary<string, string?> { ["AllowedHosts"] = "hub.example" });
        await using var foreign = await RawConnection.OpenAsync(hub, _timeout.Token);
        await foreign.SendAsync($"GET /events/sse?task=a HTTP/1.1\r\nHost: {hub.BaseAddress.Authority}\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", await foreign.ReadUntilAsync("\r\n\r\n"), StringComparison.Ordinal);

        await using var allowed = await RawConnection.OpenAsync(hub, _timeout.Token);
        await allowed.SendAsync("GET /events/sse?task=a HTTP/1.1\r\nHost: hub.example\r\n\r\n");
        var (head, _) = Split(await allowed.ReadUntilAsync("retry: 3000\n\n"));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Transfer-Encoding: chunked", head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_endpoint_without_HTTP_1_never_sees_the_handler()
    {
        using var hub = new LiveHub(new Dictionary<string, string?> { ["Kestrel:EndpointDefaults:Protocols"] = "Http2" });
        await using var raw = await RawConnection.OpenAsync(hub, _timeout.Token);
        await raw.SendAsync($"GET /events/sse?task=a HTTP/1.1\r\nHost: {hub.BaseAddress.Authority}\r\n\r\n");
        // Kestrel's HTTP/2-only endpoint answers an HTTP/1.1 head with 400 and closes (the marker that nothing else
        // is coming); the handler would have answered 200.
        var answer = await raw.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("text/event-stream", answer, StringComparison.Ordinal);
    }

    private static (string Head, string Body) Split(string text)
    {
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (text[..(end + 2)], text[(end + 4)..]);
    }
}
