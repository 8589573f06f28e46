using System.Diagnostics;

namespace PushHub.Bench;

// Fan-out: N subscribers (SSE or WebSocket) on one task, events published at a fixed rate, each carrying its
// publish timestamp and its number, so every subscriber measures publish→receive latency and counts what it lost.
//   PushHub.Bench sse|ws <url> <subscribers> <events/s> <seconds> [--target pushhub|nchan] [--sources N]
/// <summary>SSE or WebSocket fan-out: latency, deliveries per second, and anything lost, duplicated or reordered.</summary>
internal static class Fanout
{
    public static async Task<int> RunAsync(string transport, string[] args)
    {
        if (BenchArgs.Parse(args) is not { } parsed || !parsed.Target.Subscribable(transport))
        {
            return 2;
        }
        var target = parsed.Target;
        var subscribers = parsed.Int("--subscribers", 1, 5000);
        var rate = parsed.Int("--rate", 2, 10);
        var seconds = parsed.Int("--seconds", 3, 20);
        var capacity = rate * seconds + 16;
        var task = HubTarget.NewTask();

        using var handler = LoopbackClient.CreateHandler(parsed.Int("--sources", 0, 1));
        // One client per node (one for a single server): subscribers spread evenly, publishes round-robin, so in a
        // cluster most events reach a subscriber through a node other than the one that took the publish.
        var nodes = parsed.Clients(handler);
        await using var group = await SubscriberGroup.ConnectAsync(transport, target, nodes, handler, task, subscribers, capacity);
        if (group is null)
        {
            return 1;
        }
        Console.WriteLine($"{subscribers} {transport} subscribers connected to {target.Name} at {parsed.Where} on {task}; publishing {rate} events/s for {seconds} s");

        var interval = TimeSpan.FromSeconds(1.0 / rate);
        var clock = Stopwatch.StartNew();
        var published = 0;
        var publishes = new List<Task<bool>>();
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds) && published < capacity)
        {
            // One read of the clock: between two, the wait could turn negative, which Task.Delay refuses.
            var wait = interval * published - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
            publishes.Add(target.PublishAsync(nodes[published % nodes.Length], task, published++));
        }
        var accepted = (await Task.WhenAll(publishes)).Count(ok => ok);
        var elapsed = clock.Elapsed;
        var expected = (long)accepted * subscribers;
        // Whatever is still queued arrives within moments: what came within 5 s counts for deliveries/s; what
        // came later is late (its latency counts too), and only what never came is lost.
        var inTime = await group.SettleAsync(expected);
        // A server may close a subscriber that cannot keep up (PushHub's bounded queues); this client does not
        // resume, so what such a subscriber missed counts as lost, and how many were closed is reported.
        var closed = group.Closed;
        await group.DisposeAsync();

        var tally = Tally.Of(group.Receivers);
        var perSecond = inTime / elapsed.TotalSeconds;
        Console.WriteLine($"published {accepted}, deliveries {tally.Deliveries} of {expected} expected");
        Console.WriteLine($"deliveries/s {perSecond:F0}; publish→receive {Figures.Latency(tally.Latencies)}");
        Console.WriteLine($"publishes refused {published - accepted}, subscribers closed by the server {closed}, " +
            $"late (more than 5 s after the last publish's answer) {tally.Deliveries - inTime}");
        Figures.Result("deliveries/s", Math.Round(perSecond));
        Figures.ResultLatency("", tally.Latencies);
        Figures.Result("late (after 5 s)", tally.Deliveries - inTime);
        var exact = tally.Report(target, expected);
        Figures.Result("subscribers closed by the server", closed);
        Figures.Result("delivered of expected", $"{tally.Deliveries:N0} of {expected:N0}");
        // Anything lost, doubled, reordered by the server or refused is a failure, whatever the speed.
        return exact && accepted == published ? 0 : 1;
    }
}
