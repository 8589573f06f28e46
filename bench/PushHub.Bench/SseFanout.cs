using System.Diagnostics;
using System.Net;
using System.Text;

namespace PushHub.Bench;

// SSE fan-out load generator: N subscribers on one task, events published at a fixed rate; reports p50/p99
// publish→receive latency (each event carries its publish timestamp) and deliveries per second.
// Usage: dotnet run -c Release --project bench/PushHub.Bench -- sse <hub url> <subscribers> <events/s> <seconds> [--target nchan]
// --target nchan drives the nginx Nchan module (bench/nchan/nginx.conf) with the same client: subscribe at
// GET /sub?id=<task> (EventSource), publish the same JSON body via POST /pub?id=<task>.
/// <summary>SSE fan-out: subscribers on one task, events at a fixed rate; latency and deliveries per second.</summary>
internal static class SseFanout
{
    public static async Task<int> RunAsync(string[] args)
    {
        var nchan = false;
        var option = Array.IndexOf(args, "--target");
        if (option >= 0)
        {
            nchan = option + 1 < args.Length && args[option + 1] == "nchan";
            if (!nchan && (option + 1 >= args.Length || args[option + 1] != "pushhub"))
            {
                Console.Error.WriteLine("--target must be pushhub or nchan");
                return 2;
            }
            args = [.. args[..option], .. args[Math.Min(args.Length, option + 2)..]];
        }
        var hub = new Uri(args.Length > 0 ? args[0] : "http://127.0.0.1:5080");
        var subscribers = args.Length > 1 ? int.Parse(args[1]) : 5000;
        var rate = args.Length > 2 ? int.Parse(args[2]) : 10;
        var seconds = args.Length > 3 ? int.Parse(args[3]) : 20;
        var task = "bench-" + Guid.NewGuid().ToString("n")[..8];

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = hub,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        using var stop = new CancellationTokenSource();
        var latencies = new List<double>[subscribers];
        long deliveries = 0;
        var connected = 0;

        var readers = Enumerable.Range(0, subscribers).Select(i => Task.Run(async () =>
        {
            var mine = latencies[i] = new List<double>(rate * seconds);
            using var request = new HttpRequestMessage(HttpMethod.Get, nchan ? $"/sub?id={task}" : $"/events/sse?task={task}");
            if (nchan)
            {
                request.Headers.Accept.ParseAdd("text/event-stream"); // Nchan answers 403 without it
            }
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
            response.EnsureSuccessStatusCode();
            await using var stream = await response.Content.ReadAsStreamAsync(stop.Token);
            Interlocked.Increment(ref connected);
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    var read = await stream.ReadAsync(buffer, stop.Token);
                    if (read == 0)
                    {
                        return;
                    }
                    var now = Stopwatch.GetTimestamp();
                    var span = buffer.AsSpan(0, read);
                    int at;
                    while ((at = span.IndexOf("\"t\":"u8)) >= 0)
                    {
                        span = span[(at + 4)..];
                        var end = span.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
                        if (end > 0 && long.TryParse(span[..end], out var sent))
                        {
                            mine.Add(Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds);
                            Interlocked.Increment(ref deliveries);
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToList();

        while (Volatile.Read(ref connected) < subscribers)
        {
            await Task.Delay(100);
        }
        Console.WriteLine($"{subscribers} SSE subscribers connected to {(nchan ? "Nchan" : "PushHub")} at {hub} on {task}; publishing {rate} events/s for {seconds} s");

        var interval = TimeSpan.FromSeconds(1.0 / rate);
        var clock = Stopwatch.StartNew();
        var published = 0;
        var publishers = new List<Task>();
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            var due = interval * published;
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }
            var body = $"{{\"task_id\":\"{task}\",\"type\":\"task.progress\",\"data\":{{\"percent\":1,\"t\":{Stopwatch.GetTimestamp()}}}}}";
            publishers.Add(http.PostAsync(nchan ? $"/pub?id={task}" : "/events", new StringContent(body, Encoding.UTF8, "application/json")).ContinueWith(t =>
            {
                // PushHub answers 202; Nchan 201 (subscribers present) or 202 (none).
                if (nchan ? t.Result.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Accepted) : t.Result.StatusCode != HttpStatusCode.Accepted)
                {
                    Console.Error.WriteLine($"publish answered {(int)t.Result.StatusCode}");
                }
            }, TaskScheduler.Default));
            published++;
        }
        await Task.WhenAll(publishers);
        var elapsed = clock.Elapsed;
        await Task.Delay(2000);
        stop.Cancel();
        await Task.WhenAll(readers.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));

        var all = latencies.Where(l => l is not null).SelectMany(l => l).OrderBy(x => x).ToArray();
        double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
        Console.WriteLine($"published {published}, deliveries {deliveries} of {(long)published * subscribers} expected");
        Console.WriteLine($"deliveries/s {deliveries / elapsed.TotalSeconds:F0}; publish→receive p50 {P(0.50):F1} ms, p99 {P(0.99):F1} ms, max {P(1):F1} ms");
        // Anything lost is a failure, whatever the speed.
        return deliveries == (long)published * subscribers ? 0 : 1;
    }
}
