using System.Globalization;

namespace PushHub.Bench;

// Idle-subscriber memory: the server's resident memory before and after N SSE subscribers connect and go idle.
//   PushHub.Bench idle <url>[,<url>...] <subscribers> [--target pushhub|cluster|nchan] [--server-pid P[,P...]] [--redis-pid P]
//     [--settle S] [--sources N]
// Without --server-pid the processes holding the port's listening socket are measured (nginx: master and
// workers, summed; a cluster: every node's, summed, the subscribers spread evenly over the nodes). A cluster's
// Redis (--redis-pid) is measured too and reported on its own rows: what the nodes hold per subscriber is the
// figure DESIGN compares. Then one event is published, and every subscriber must receive it: they were live.
/// <summary>Resident memory per idle SSE subscriber, from the server's <c>/proc/&lt;pid&gt;/status</c>.</summary>
internal static class IdleMemory
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (BenchArgs.Parse(args) is not { } parsed || !parsed.Target.Subscribable("idle"))
        {
            return 2;
        }
        var target = parsed.Target;
        var subscribers = parsed.Int("--subscribers", 1, 10000);
        var settle = TimeSpan.FromSeconds(parsed.Int("--settle", 0, 5));
        var pids = parsed.Option("--server-pid") is { } given
            ? given.Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList()
            : parsed.Urls.SelectMany(url => ServerMemory.FindListeners(url.Port)).Distinct().ToList();
        if (pids.Count == 0)
        {
            Console.Error.WriteLine($"no process listens on port {string.Join(", ", parsed.Urls.Select(u => u.Port))}: pass --server-pid");
            return 2;
        }
        int[] redis = parsed.Option("--redis-pid") is { } redisPid ? [int.Parse(redisPid, CultureInfo.InvariantCulture)] : [];
        var task = HubTarget.NewTask();
        using var handler = LoopbackClient.CreateHandler(parsed.Int("--sources", 0, Math.Max(1, subscribers / 5000)));
        var nodes = parsed.Clients(handler);

        // The server settled and warmed up: one request served (by every node), then a pause.
        foreach (var node in nodes)
        {
            await target.CountSubscribersAsync(node, [task]);
        }
        await Task.Delay(settle);
        var residentBefore = ServerMemory.ResidentKb(pids);
        var proportionalBefore = ServerMemory.ProportionalKb(pids);
        var redisBefore = ServerMemory.ResidentKb(redis);

        await using var group = await SubscriberGroup.ConnectAsync("sse", target, nodes, handler, task, subscribers, 1);
        if (group is null)
        {
            return 1;
        }
        await Task.Delay(settle);
        var residentAfter = ServerMemory.ResidentKb(pids);
        var proportionalAfter = ServerMemory.ProportionalKb(pids);
        var redisAfter = ServerMemory.ResidentKb(redis);

        // Were they live? One event, to every one of them (in a cluster, through the first node).
        var accepted = await target.PublishAsync(nodes[0], task, 0);
        await Poll.UntilAsync(() => group.Received >= subscribers, TimeSpan.FromSeconds(30));
        var delivered = group.Receivers.Count(r => r.Received == 1);

        var perConnection = (double)(residentAfter - residentBefore) / subscribers;
        var proportionalPerConnection = (double)(proportionalAfter - proportionalBefore) / subscribers;
        Console.WriteLine($"{target.Name} pid {string.Join(',', pids)}: VmRSS {residentBefore:N0} KB → {residentAfter:N0} KB, Pss {proportionalBefore:N0} KB → {proportionalAfter:N0} KB with {subscribers} idle SSE subscribers");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"resident memory per subscriber {perConnection:F1} KB (Pss {proportionalPerConnection:F1} KB)"));
        Console.WriteLine($"then one event: delivered to {delivered} of {subscribers}");
        Figures.Result("KB per subscriber (VmRSS)", Math.Round(perConnection, 1));
        Figures.Result("KB per subscriber (Pss)", Math.Round(proportionalPerConnection, 1));
        Figures.Result("server VmRSS before → after, MB", $"{residentBefore / 1024.0:F0} → {residentAfter / 1024.0:F0}");
        if (redis.Length > 0)
        {
            var redisPerConnection = (double)(redisAfter - redisBefore) / subscribers;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Redis pid {redis[0]}: VmRSS {redisBefore:N0} KB → {redisAfter:N0} KB, {redisPerConnection:F1} KB per subscriber (not in the figure above)"));
            Figures.Result("Redis KB per subscriber (VmRSS)", Math.Round(redisPerConnection, 1));
            Figures.Result("Redis VmRSS before → after, MB", $"{redisBefore / 1024.0:F0} → {redisAfter / 1024.0:F0}");
        }
        Figures.Result("then one event: delivered of expected", $"{delivered:N0} of {subscribers:N0}");
        var exact = Tally.Of(group.Receivers).Report(target, subscribers);
        return accepted && delivered == subscribers && exact ? 0 : 1;
    }
}
