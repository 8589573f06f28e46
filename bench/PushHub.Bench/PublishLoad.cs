using System.Diagnostics;
using System.Text;

namespace PushHub.Bench;

// Publishing: single-event POSTs from concurrent clients, or batches; bounded by a count of requests.
//   PushHub.Bench publish --url http://127.0.0.1:5080 --clients 32 --events 50000 [--warmup-seconds 20] [--target pushhub|nchan]
//   PushHub.Bench batch   --url http://127.0.0.1:5080 --batch 1000 --events 500000 --clients 4 [--target pushhub|nchan]
//   PushHub.Bench poll    --url http://127.0.0.1:5080 --clients 32 --events 50000   (GET /events pages of 10; PushHub only)
// Against Nchan the same bodies go to its publisher (POST /pub?id=<channel>); a batch is then one message holding
// the array, and nothing is durable there (messages live in shared memory).
/// <summary>Publishing: single-event POSTs from concurrent clients, or batches.</summary>
internal static class PublishLoad
{
    public static async Task<int> RunAsync(string scenario, string[] args)
    {
        if (BenchArgs.Parse(args) is not { } parsed)
        {
            return 2;
        }
        var target = parsed.Target;
        var clients = parsed.Int("--clients", 0, scenario == "batch" ? 4 : 32);
        var total = parsed.Int("--events", 0, scenario == "batch" ? 500000 : 50000);
        var batch = scenario == "batch" ? parsed.Int("--batch", 0, 1000) : 1;
        var requests = total / batch;
        var task = HubTarget.NewTask();
        var poll = scenario == "poll";

        // Client c sends through node c mod the node count (one node for a single server): a cluster's publishers
        // are spread over its nodes, each keeping its connection as it would behind a load balancer.
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients };
        var nodes = parsed.Urls.Select(url => new HttpClient(handler, disposeHandler: false) { BaseAddress = url }).ToArray();
        var one = HubTarget.EventBody(task, 0);
        var body = Encoding.UTF8.GetBytes(batch == 1 ? one : "[" + string.Join(',', Enumerable.Repeat(one, batch)) + "]");
        // A poll reads one page of the task's ten events, the request path of GET /events with a store read behind it.
        var pollBody = Encoding.UTF8.GetBytes("[" + string.Join(',', Enumerable.Repeat(one, 10)) + "]");
        if (poll && !await target.PublishAsync(nodes[0], task, pollBody))
        {
            return 1;
        }
        Func<HttpClient, Task<bool>> send = poll
            ? async http =>
            {
                using var response = await http.GetAsync($"events?task={task}&after=0&limit=10");
                await response.Content.CopyToAsync(Stream.Null);
                return response.IsSuccessStatusCode;
            }
            : http => target.PublishAsync(http, task, body);
        // Warm up under the same load, unmeasured: connections, the hub's prepared statements, and above all .NET's
        // tiered JIT, which recompiles hot methods with profile data for some seconds (the first 50,000 requests ran
        // at about half the steady rate). Nchan gets the same warm-up.
        var warmup = TimeSpan.FromSeconds(parsed.Int("--warmup-seconds", 0, 20));
        var warmupClock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            while (warmupClock.Elapsed < warmup)
            {
                await send(nodes[client % nodes.Length]);
            }
        })));
        if (warmup == TimeSpan.Zero)
        {
            foreach (var node in nodes)
            {
                await send(node);
            }
        }

        var latencies = new double[requests];
        var next = -1;
        var failures = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var http = nodes[client % nodes.Length];
            int index;
            while ((index = Interlocked.Increment(ref next)) < requests)
            {
                var started = Stopwatch.GetTimestamp();
                if (!await send(http))
                {
                    Interlocked.Increment(ref failures);
                }
                latencies[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        })));
        clock.Stop();

        Array.Sort(latencies);
        var eventsPerSecond = requests * batch / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"scenario={scenario} target={target.Name} clients={clients} batch={batch} events={requests * batch} failures={failures}" +
            (nodes.Length > 1 ? $" nodes={nodes.Length}" : ""));
        Console.WriteLine($"events/s={eventsPerSecond:0} requests/s={requests / clock.Elapsed.TotalSeconds:0}");
        Console.WriteLine($"latency {Figures.Latency(latencies)}");
        Figures.Result("events/s", Math.Round(eventsPerSecond));
        Figures.ResultLatency("request ", latencies);
        Figures.Result("failures", failures);
        return failures == 0 ? 0 : 1;
    }
}
