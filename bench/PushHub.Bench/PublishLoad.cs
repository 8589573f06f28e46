using System.Diagnostics;
using System.Net;
using System.Text;

namespace PushHub.Bench;

// PushHub load generator. Sends traffic only to the loopback hub it is pointed at; every scenario is bounded
// by a count of requests and stops by itself.
//
//   dotnet run -c Release --project bench/PushHub.Bench -- publish --url http://127.0.0.1:5080 --clients 32 --events 50000
//   dotnet run -c Release --project bench/PushHub.Bench -- batch   --url http://127.0.0.1:5080 --batch 1000 --events 500000 --clients 4
/// <summary>Publishing: single-event POSTs from concurrent clients, or batches.</summary>
internal static class PublishLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var scenario = args.Length > 0 ? args[0] : "publish";
        var url = new Uri(Option("--url", "http://127.0.0.1:5080"));
        if (!IPAddress.TryParse(url.Host, out var ip) ? url.Host != "localhost" : !IPAddress.IsLoopback(ip))
        {
            Console.Error.WriteLine("The load generator only sends to loopback addresses.");
            return 2;
        }
        var clients = int.Parse(Option("--clients", scenario == "batch" ? "4" : "32"));
        var total = int.Parse(Option("--events", scenario == "batch" ? "500000" : "50000"));
        var batch = scenario == "batch" ? int.Parse(Option("--batch", "1000")) : 1;
        var requests = total / batch;

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = url };
        var body = BuildBody(batch);
        // Warm up: connections, JIT, the hub's prepared statements.
        for (var i = 0; i < 200; i++)
        {
            await SendAsync(http, body);
        }

        var latencies = new double[requests];
        var next = -1;
        var failures = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < requests)
            {
                var started = Stopwatch.GetTimestamp();
                if (!await SendAsync(http, body))
                {
                    Interlocked.Increment(ref failures);
                }
                latencies[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        })));
        clock.Stop();

        Array.Sort(latencies);
        var eventsPerSecond = requests * batch / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"scenario={scenario} clients={clients} batch={batch} events={requests * batch} failures={failures}");
        Console.WriteLine($"events/s={eventsPerSecond:0} requests/s={requests / clock.Elapsed.TotalSeconds:0}");
        Console.WriteLine($"latency ms p50={Percentile(0.50):0.00} p99={Percentile(0.99):0.00} max={latencies[^1]:0.00}");
        return failures == 0 ? 0 : 1;

        double Percentile(double p) => latencies[Math.Min(latencies.Length - 1, (int)(p * latencies.Length))];

        string Option(string name, string fallback)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
        }

        static byte[] BuildBody(int count)
        {
            const string one = "{\"task_id\":\"bench-1\",\"type\":\"task.progress\",\"data\":{\"percent\":42,\"message\":\"working\"}}";
            return Encoding.UTF8.GetBytes(count == 1 ? one : "[" + string.Join(',', Enumerable.Repeat(one, count)) + "]");
        }

        static async Task<bool> SendAsync(HttpClient http, byte[] body)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await http.PostAsync("/events", content);
            return response.StatusCode == HttpStatusCode.Accepted;
        }
    }
}
