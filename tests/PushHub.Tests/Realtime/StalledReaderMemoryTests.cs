using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PushHub.Tests.Realtime;

/// <summary>
/// What stalled readers cost the hub (issue #12, DESIGN.md "Slow subscribers"): many SSE readers that read nothing,
/// on busy tasks of large events, pin at most their queue bytes each, plus socket buffers — not what is published.
/// The hub runs as its own process, so its resident memory is its own: the growth of its RSS while the same events
/// are published is measured with the stalled readers and without, and the difference is bounded.
/// </summary>
public sealed class StalledReaderMemoryTests(ITestOutputHelper output)
{
    private const int Readers = 20;
    private const int Tasks = 4;
    private const int EventsPerTask = 128;
    private const int EventsPerRequest = 8;
    private const int DataBytes = 64 * 1024;
    private const int QueueBytes = 64 * 1024;

    [Fact]
    public async Task Many_stalled_readers_of_large_events_pin_at_most_their_queue_bytes_each()
    {
        var quiet = await MeasureAsync(stalledReaders: 0);
        var stalled = await MeasureAsync(stalledReaders: Readers);

        const long publishedPerTask = (long)EventsPerTask * DataBytes;
        // Had every stalled reader kept what was published to its task, it would pin this much:
        const long unbounded = Readers * publishedPerTask;
        // What each may pin: its queue, the event it is stuck writing and the one being formatted, Kestrel's output
        // pipe (64 KiB before it pushes back, in 4 KiB segments), a store page if it was catching up (bounded by the
        // queue bytes too); rounded up to 512 KiB each. Plus a fixed allowance for what the two runs do differently
        // besides (their connections, the GC's timing, the heap's fragmentation).
        const long perReader = 512 * 1024;
        const long allowance = 32L * 1024 * 1024;
        const long bound = Readers * perReader + allowance;
        var extra = stalled.Growth - quiet.Growth;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Readers} stalled SSE readers on {Tasks} tasks, {EventsPerTask} events of {DataBytes / 1024} KiB data per task ({publishedPerTask / (1024 * 1024)} MiB per task), Hub:SubscriberQueueBytes={QueueBytes}, workstation GC"));
        output.WriteLine($"no readers:      RSS {Mib(quiet.Before)} -> {Mib(quiet.After)} MiB (growth {Mib(quiet.Growth)} MiB)");
        output.WriteLine($"stalled readers: RSS {Mib(stalled.Before)} -> {Mib(stalled.After)} MiB (growth {Mib(stalled.Growth)} MiB)");
        output.WriteLine($"difference {Mib(extra)} MiB = {extra / Readers / 1024} KiB per reader; bound {Mib(bound)} MiB; unbounded would be {Mib(unbounded)} MiB");

        Assert.True(extra < bound, $"stalled readers pinned {Mib(extra)} MiB, more than {Mib(bound)} MiB");
        Assert.True(bound * 3 < unbounded, "the bound does not tell bounded from unbounded");
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("F1", CultureInfo.InvariantCulture);

    private sealed record Measurement(long Before, long After)
    {
        public long Growth => After - Before;
    }

    /// <summary>One hub process: <paramref name="stalledReaders"/> readers that read nothing, one healthy reader of
    /// everything (the marker: once it has the last event, the hub has handed every event to every subscriber), then
    /// the publishing, and the hub's RSS before and after.</summary>
    private static async Task<Measurement> MeasureAsync(int stalledReaders)
    {
        var directory = TestPaths.NewTempDirectory();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            using var hub = await HubProcess.StartAsync(Path.Combine(directory, "pushhub.db"), _ =>
            [
                "--Hub:SubscriberQueueBytes", QueueBytes.ToString(CultureInfo.InvariantCulture),
                "--Hub:StalledWriteTimeout", "01:00:00",
                "--Sse:KeepAliveSeconds", "3600",
                "--Limits:MaxEventBytes", (2 * DataBytes).ToString(CultureInfo.InvariantCulture),
            ], new Dictionary<string, string>
            {
                // One heap and a small gen0 budget: garbage is collected soon, so RSS follows what is live.
                ["DOTNET_gcServer"] = "0",
                ["DOTNET_GCgen0size"] = "0x400000",
            });
            using var client = hub.CreateClient();
            await using var healthy = await SseClient.OpenAsync(client, "?after=0", cancellationToken: timeout.Token);
            var sockets = new List<Socket>();
            try
            {
                for (var i = 0; i < stalledReaders; i++)
                {
                    sockets.Add(await OpenStalledReaderAsync(hub.Address, $"big-{i % Tasks}", timeout.Token));
                }
                await WaitForListenersAsync(client, stalledReaders / Tasks, timeout.Token);
                var before = Rss(hub.ProcessId);

                var pad = new string('x', DataBytes);
                long last = 0;
                for (var round = 0; round < EventsPerTask / EventsPerRequest; round++)
                {
                    for (var task = 0; task < Tasks; task++)
                    {
                        last = (await client.PublishBatchAsync($"big-{task}", EventsPerRequest, "task.heartbeat", new JsonObject { ["pad"] = pad }, timeout.Token))[^1];
                    }
                }
                long seen = 0;
                while (seen < last)
                {
                    var item = await healthy.NextAsync();
                    Assert.True(item is not null, "the healthy reader's stream ended");
                    seen = long.Parse(item.Value.EventId!, CultureInfo.InvariantCulture);
                }
                return new Measurement(before, Rss(hub.ProcessId));
            }
            finally
            {
                foreach (var socket in sockets)
                {
                    socket.Dispose();
                }
            }
        }
        finally
        {
            TestPaths.TryDelete(directory);
        }
    }

    /// <summary>An SSE request on a socket that is never read, with a small receive buffer so the kernel holds
    /// little on the client's side either.</summary>
    private static async Task<Socket> OpenStalledReaderAsync(Uri hub, string taskId, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(hub.Host, hub.Port, cancellationToken);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /events/sse?task={taskId} HTTP/1.1\r\nHost: {hub.Authority}\r\n\r\n"), cancellationToken);
        return socket;
    }

    /// <summary>Waits until every task has its stalled readers on the feed (they register asynchronously).</summary>
    private static async Task WaitForListenersAsync(HttpClient client, int perTask, CancellationToken cancellationToken)
    {
        while (true)
        {
            var byTask = JsonNode.Parse(await client.GetStringAsync("/stats", cancellationToken))!["subscribers_by_task"]!.AsObject();
            if (Enumerable.Range(0, Tasks).All(task => (byTask[$"big-{task}"]?.GetValue<int>() ?? 0) >= perTask))
            {
                return;
            }
            await Task.Delay(20, cancellationToken);
        }
    }

    private static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
