using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PushHub.Hub;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Realtime;

/// <summary>
/// Time-driven stream behaviour on the hub's fake clock: a reader whose socket accepts nothing is closed after
/// <c>Hub:StalledWriteTimeout</c>, and an idle SSE stream gets <c>: keepalive</c> comments.
/// </summary>
public sealed class StalledReaderTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private LiveHub? _started;

    private LiveHub _hub => _started ?? throw new InvalidOperationException("Start the hub first.");

    // SSE runs on both of its paths: the connection handler (the default) and the endpoint.
    private void Start(bool connectionHandler = true) => _started = new LiveHub(new Dictionary<string, string?>
    {
        ["Hub:SubscriberQueueBytes"] = "65536",
        ["Hub:StalledWriteTimeout"] = "00:00:30",
        ["Sse:KeepAliveSeconds"] = "15",
        ["Sse:ConnectionHandler"] = connectionHandler ? "true" : "false",
        // The WebSocket keep-alive runs on this clock too and would drop a client that reads nothing (so answers no
        // ping) first; these tests are about the stall watchdog.
        ["WebSockets:KeepAliveSeconds"] = "3600",
    }, _time);

    public void Dispose()
    {
        _timeout.Dispose();
        _started?.Dispose();
    }

    [Theory]
    [InlineData("sse", true)]
    [InlineData("sse", false)]
    [InlineData("ws", true)]
    public async Task A_reader_that_stops_reading_is_closed_after_the_stalled_write_timeout_and_resumes_without_loss(string transport, bool connectionHandler)
    {
        Start(connectionHandler);
        var open = SeqStreams.Openers[transport];
        var kind = transport == "sse" ? Transport.Sse : Transport.WebSocket;
        await using var stalled = await open(_hub, ["big"], 0, _timeout.Token);
        await LiveHub.EventuallyAsync(() => _hub.Connections.Count(kind) == 1, _timeout.Token);

        // Large events until the socket's buffers are full and the hub's write to it is stuck; after each batch the
        // clock moves past the timeout, so the watchdog closes the connection once a write has been stuck that long.
        var published = new List<long>();
        while (_hub.Connections.Count(kind) == 1)
        {
            Assert.True(published.Count < 20_000, "the stalled reader was never closed");
            published.AddRange(await _hub.Client.PublishBatchAsync("big", 20, "task.heartbeat", new JsonObject { ["pad"] = new string('x', 16 * 1024) }, _timeout.Token));
            _time.Advance(TimeSpan.FromSeconds(31));
        }
        Assert.Equal(1, _hub.Factory.Services.GetRequiredService<SubscriberCounters>().StalledCloses);

        // What the closed connection delivered, then a resume from its last seq, is the whole stream.
        var received = new List<long>();
        while (await stalled.NextSeqAsync() is { } seq)
        {
            received.Add(seq);
        }
        await using var again = await open(_hub, ["big"], received.Count > 0 ? received[^1] : 0, _timeout.Token);
        while (received.Count < published.Count)
        {
            received.Add((await again.NextSeqAsync())!.Value);
        }
        Assert.Equal(published, received);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_idle_SSE_stream_gets_keepalive_comments_on_the_clock_then_live_events(bool connectionHandler)
    {
        Start(connectionHandler);
        await _hub.Client.PublishSeqAsync("a", "task.started");
        await using var sse = await SseClient.OpenAsync(_hub.Client, "?task=a", cancellationToken: _timeout.Token);
        // The first tick sees the retry hint just written; the second finds the stream idle.
        _time.Advance(TimeSpan.FromSeconds(15));
        _time.Advance(TimeSpan.FromSeconds(15));
        await sse.ReadUntilRawContainsAsync("\n: keepalive\n\n");
        // Still idle: the next tick brings the next comment (the comment is not an event that resets the clock).
        _time.Advance(TimeSpan.FromSeconds(15));
        await sse.ReadUntilRawContainsAsync("\n: keepalive\n\n: keepalive\n\n");
        var live = await _hub.Client.PublishSeqAsync("a", "task.progress", new { percent = 1 });

        Assert.Equal(live.ToString(), (await sse.NextAsync())!.Value.EventId);
        Assert.DoesNotContain("id: 1\n", sse.Raw, StringComparison.Ordinal);
    }
}
