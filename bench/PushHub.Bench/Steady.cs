using System.Diagnostics;
using System.Globalization;

namespace PushHub.Bench;

// Steady light load: SSE subscribers spread over several tasks (subscriber i on task i mod tasks), events published
// at a fixed total rate to the tasks in turn, for a while; publish→receive latency, with the slowest events named
// (when they were published, and whether all of their subscribers or only some were late), so that outliers can
// be traced. With --webhook on (PushHub only) one webhook for every task is registered to the local receiver.
//   PushHub.Bench steady <url> <subscribers> <tasks> <events/s> <seconds> [--warmup-seconds W] [--webhook on]
//     [--target pushhub|nchan]        (DESIGN.md's row: 500 subscribers, 50 tasks, 200 events/s, 60 s)
/// <summary>Publish→receive latency at a light, steady load over many tasks, outliers included.</summary>
internal static class Steady
{
    private const double SlowMs = 50; // DESIGN.md: max ≤ 50 ms

    public static async Task<int> RunAsync(string[] args)
    {
        if (BenchArgs.Parse(args) is not { } parsed || !parsed.Target.Subscribable("steady"))
        {
            return 2;
        }
        var target = parsed.Target;
        var subscribers = parsed.Int("--subscribers", 1, 500);
        var taskCount = Math.Clamp(parsed.Int("--tasks", 2, 50), 1, subscribers);
        var rate = parsed.Int("--rate", 3, 200);
        var seconds = parsed.Int("--seconds", 4, 60);
        var warmup = parsed.Int("--warmup-seconds", 0, 0);
        var withWebhook = parsed.Option("--webhook") == "on";
        if (withWebhook && target.Kind != ServerKind.PushHub)
        {
            Console.Error.WriteLine("--webhook on needs PushHub: Nchan has no webhooks");
            return 2;
        }
        var capacity = rate * seconds + 16;
        var tasks = Enumerable.Range(0, taskCount).Select(_ => HubTarget.NewTask()).ToArray();

        using var handler = LoopbackClient.CreateHandler(1);
        // One client per node: subscribers spread evenly over the nodes and each task's over all of them, event k
        // published through node k mod the node count. The webhook is registered once: every node shares it.
        var nodes = parsed.Clients(handler);
        await using var sink = withWebhook ? await WebhookSink.StartAsync() : null;
        if (withWebhook && (sink is null || !await sink.RegisterAsync(nodes[0])))
        {
            return 1;
        }
        await using var group = await SubscriberGroup.ConnectAsync("sse", target, nodes, handler, tasks, subscribers, capacity, keepNumbers: true);
        if (group is null)
        {
            return 1;
        }
        Console.WriteLine($"{subscribers} SSE subscribers on {taskCount} tasks of {target.Name} at {parsed.Where}" +
            (withWebhook ? ", one webhook registered" : "") + $"; {rate} events/s over the tasks for {seconds} s" +
            (warmup > 0 ? $" after a {warmup} s warm-up" : ""));

        if (warmup > 0)
        {
            // Unmeasured: events numbered -1, which the receivers skip. Webhook deliveries of the warm-up are
            // waited for, so that the receiver's count starts clean.
            var (warmed, _, _, _) = await PublishAtRateAsync(target, nodes, tasks, rate, warmup, number: _ => -1);
            if (sink is not null)
            {
                await sink.WaitForAsync(warmed.Count(ok => ok), TimeSpan.FromSeconds(30));
                await sink.ResetAsync();
            }
        }

        var (accepted, publishedAtMs, requestMs, elapsed) = await PublishAtRateAsync(target, nodes, tasks, rate, seconds, number: k => k);
        var acceptedPerTask = new long[taskCount];
        for (var k = 0; k < accepted.Length; k++)
        {
            acceptedPerTask[k % taskCount] += accepted[k] ? 1 : 0;
        }
        var expected = Enumerable.Range(0, subscribers).Sum(i => acceptedPerTask[i % taskCount]);
        var inTime = await group.SettleAsync(expected);
        var closed = group.Closed;
        await group.DisposeAsync();

        var tally = Tally.Of(group.Receivers);
        Array.Sort(requestMs);
        Console.WriteLine($"published {accepted.Count(ok => ok)} of {accepted.Length}, deliveries {tally.Deliveries} of {expected} expected, " +
            $"subscribers closed by the server {closed}");
        Console.WriteLine($"publish→receive {Figures.Latency(tally.Latencies)}; publish request {Figures.Latency(requestMs)}");
        var slow = tally.Latencies.Length - Array.FindLastIndex(tally.Latencies, ms => ms <= SlowMs) - 1;
        PrintSlowest(group, taskCount, publishedAtMs);
        Figures.Result("deliveries/s", Math.Round(inTime / Math.Max(elapsed.TotalSeconds, 0.001)));
        Figures.ResultLatency("", tally.Latencies);
        Figures.Result($"deliveries over {SlowMs:F0} ms", slow);
        Figures.ResultLatency("publish request ", requestMs);
        Figures.Result("late (after 5 s)", tally.Deliveries - inTime);
        var exact = tally.Report(target, expected);
        Figures.Result("subscribers closed by the server", closed);
        Figures.Result("delivered of expected", $"{tally.Deliveries:N0} of {expected:N0}");

        var webhooksComplete = true;
        if (sink is not null)
        {
            var published = accepted.Count(ok => ok);
            var counts = await sink.WaitForAsync(published, TimeSpan.FromSeconds(30));
            Console.WriteLine($"webhook: {counts.Distinct} of {published} events delivered, duplicates {counts.Duplicates}, rejected signatures {counts.Rejected}");
            Figures.Result("webhook deliveries of expected", $"{counts.Distinct:N0} of {published:N0}");
            Figures.Result("webhook duplicates", counts.Duplicates);
            webhooksComplete = counts.Distinct == published && counts.Duplicates == 0 && counts.Rejected == 0;
        }
        if (!exact || !accepted.All(ok => ok) || !webhooksComplete)
        {
            // Last, on stderr, so that a truncated log still says why the run failed.
            Console.Error.WriteLine($"steady failed: lost {expected - tally.Deliveries}, duplicates {tally.Duplicates}, out of seq order {tally.OutOfSeqOrder}, " +
                $"publishes refused {accepted.Count(ok => !ok)}" + (webhooksComplete ? "" : ", webhook deliveries incomplete or repeated"));
            return 1;
        }
        return 0;
    }

    /// <summary>
    /// Publishes <paramref name="rate"/> events a second for <paramref name="seconds"/>, event <i>k</i> to task
    /// <i>k</i> mod the task count through node <i>k</i> mod the node count, each carrying <paramref name="number"/>(k), without waiting for the one
    /// before; returns whether each was accepted, when it was sent (ms after the first), how long its request took,
    /// and the time from the first publish until every one was answered.
    /// </summary>
    private static async Task<(bool[] Accepted, double[] SentAtMs, double[] RequestMs, TimeSpan Elapsed)> PublishAtRateAsync(
        HubTarget target, HttpClient[] nodes, string[] tasks, int rate, int seconds, Func<int, int> number)
    {
        var count = rate * seconds;
        var interval = TimeSpan.FromSeconds(1.0 / rate);
        var sentAt = new double[count];
        var requestMs = new double[count];
        var publishes = new Task<bool>[count];
        var clock = Stopwatch.StartNew();
        for (var k = 0; k < count; k++)
        {
            var wait = interval * k - clock.Elapsed; // one read of the clock: two could make the wait negative
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
            sentAt[k] = clock.Elapsed.TotalMilliseconds;
            var index = k;
            publishes[k] = TimedAsync(() => target.PublishAsync(nodes[index % nodes.Length], tasks[index % tasks.Length], number(index)), ms => requestMs[index] = ms);
        }
        var accepted = await Task.WhenAll(publishes);
        return (accepted, sentAt, requestMs, clock.Elapsed);
    }

    private static async Task<bool> TimedAsync(Func<Task<bool>> publish, Action<double> took)
    {
        var started = Stopwatch.GetTimestamp();
        var ok = await publish();
        took(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return ok;
    }

    /// <summary>
    /// The ten events with the slowest delivery: when each was published, its slowest and fastest subscriber. All
    /// of an event's subscribers late points before the fan-out (commit, dispatch); one of them, at a connection.
    /// </summary>
    private static void PrintSlowest(SubscriberGroup group, int taskCount, double[] sentAtMs)
    {
        var perEvent = new Dictionary<int, (double Max, double Min, int Count)>();
        foreach (var receiver in group.Receivers)
        {
            for (var i = 0; i < receiver.Latencies.Count; i++)
            {
                var n = receiver.Numbers![i];
                var ms = receiver.Latencies[i];
                perEvent[n] = perEvent.TryGetValue(n, out var seen)
                    ? (Math.Max(seen.Max, ms), Math.Min(seen.Min, ms), seen.Count + 1)
                    : (ms, ms, 1);
            }
        }
        Console.WriteLine("slowest events (n, task, published at, slowest / fastest of its subscribers):");
        foreach (var (n, (max, min, count)) in perEvent.OrderByDescending(e => e.Value.Max).Take(10))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  n={n} task {n % taskCount} at {sentAtMs[n] / 1000:F3} s: {max:F1} / {min:F1} ms over {count} subscribers"));
        }
    }
}
