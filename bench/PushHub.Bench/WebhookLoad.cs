using System.Text;

namespace PushHub.Bench;

// Webhook deliveries: one webhook registered to the local receiver (bench/webhooks/receiver.js, which checks every
// signature), events published in batches by one client, and the signed deliveries per second the receiver counts
// from its first delivery to its last. A warm-up batch goes first, delivered in full before the count starts.
//   PushHub.Bench webhooks <url> <events> [--batch 1000] [--warmup-events N]   (PushHub only: Nchan has no webhooks)
/// <summary>Signed webhook deliveries per second to one local receiver, and anything lost or delivered twice.</summary>
internal static class WebhookLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (BenchArgs.Parse(args) is not { } parsed)
        {
            return 2;
        }
        if (parsed.Target.Kind != ServerKind.PushHub)
        {
            Console.Error.WriteLine("the webhooks scenario runs against PushHub only");
            return 2;
        }
        var events = parsed.Int("--events", 1, 20000);
        var batch = Math.Max(1, parsed.Int("--batch", 0, 1000));
        var warmup = parsed.Int("--warmup-events", 0, 0);
        var target = parsed.Target;
        var task = HubTarget.NewTask();
        // The webhook is registered once (every node of a cluster shares it); batch j is published through node
        // j mod the node count, so every node's dispatcher has deliveries to claim. The receiver counts them all,
        // and a webhook-id it sees twice (two nodes sending one delivery) is a duplicate.
        using var handler = LoopbackClient.CreateHandler(1);
        var nodes = parsed.Clients(handler);
        await using var sink = await WebhookSink.StartAsync();
        if (sink is null || !await sink.RegisterAsync(nodes[0]))
        {
            return 1;
        }

        var first = 0;
        if (warmup > 0)
        {
            if (!await PublishAsync(target, nodes, task, first, warmup, batch))
            {
                return 1;
            }
            first += warmup;
            var warmed = await sink.WaitForAsync(warmup, TimeSpan.FromMinutes(2));
            Console.WriteLine($"warm-up: {warmed.Deliveries} of {warmup} delivered");
            await sink.ResetAsync();
        }
        var published = await PublishAsync(target, nodes, task, first, events, batch);
        var counts = await sink.WaitForAsync(events, TimeSpan.FromSeconds(60 + events / 1000));
        var perSecond = counts.Seconds > 0 ? counts.Deliveries / counts.Seconds : 0;
        var lost = events - counts.Distinct;
        Console.WriteLine($"{counts.Deliveries} signed deliveries in {counts.Seconds:F2} s (first to last): {perSecond:F0}/s; " +
            $"lost {lost}, duplicates {counts.Duplicates}, rejected signatures {counts.Rejected}");
        Figures.Result("deliveries/s", Math.Round(perSecond));
        Figures.Result("delivered of expected", $"{counts.Distinct:N0} of {events:N0}");
        Figures.Result("lost", lost);
        Figures.Result("duplicates", counts.Duplicates);
        Figures.Result("rejected signatures", counts.Rejected);
        if (!published || lost != 0 || counts.Duplicates != 0 || counts.Rejected != 0)
        {
            // Last, on stderr, so that a truncated log still says why the run failed.
            Console.Error.WriteLine($"webhooks failed: {(published ? "" : "a publish was refused; ")}lost {lost}, duplicates {counts.Duplicates}, " +
                $"rejected signatures {counts.Rejected} (of {events} events; {counts.Deliveries} deliveries counted)");
            return 1;
        }
        return 0;
    }

    private static async Task<bool> PublishAsync(HubTarget target, HttpClient[] nodes, string task, int first, int count, int batch)
    {
        for (var n = first; n < first + count; n += batch)
        {
            var http = nodes[n / batch % nodes.Length];
            var size = Math.Min(batch, first + count - n);
            var body = "[" + string.Join(',', Enumerable.Range(n, size).Select(i => HubTarget.EventBody(task, i))) + "]";
            if (!await target.PublishAsync(http, task, Encoding.UTF8.GetBytes(body)))
            {
                return false;
            }
        }
        return true;
    }
}
