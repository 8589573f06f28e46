using System.Text.RegularExpressions;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Bench;

/// <summary>
/// Small runs of the load generator against three hub processes on one Redis, given as one comma-separated URL
/// list (bench/compare-nchan.sh's cluster column): the load is spread over the nodes, and every subscriber, poll
/// and the webhook receiver still gets every event once, in seq order, whichever node took the publish.
/// </summary>
public sealed class ClusterLoadGeneratorSmokeTests
{
    [RedisFact]
    public async Task Steady_load_spread_over_three_nodes_delivers_every_event_once_and_in_seq_order()
    {
        // 12 subscribers over 4 tasks, each task's three on three different nodes; 20 events/s through the nodes in turn.
        var output = await BenchTool.RunAgainstClusterAsync(urls => ["steady", urls, "12", "4", "20", "2", "--warmup-seconds", "1", "--target", "cluster"]);
        Assert.Contains("SSE subscribers on 4 tasks of PushHub ×3 at http://127.0.0.1:", output, StringComparison.Ordinal);
        Assert.Contains("published 40 of 40, deliveries 120 of 120 expected", output, StringComparison.Ordinal);
        Assert.Contains("result lost=0", output, StringComparison.Ordinal);
        Assert.Contains("result duplicates=0", output, StringComparison.Ordinal);
        Assert.Contains("result out of seq order=0", output, StringComparison.Ordinal);
    }

    [RedisFact]
    public async Task Long_polls_on_every_node_wake_for_a_publish_on_any_node()
    {
        // 30 polls, ten per node; round r's event goes through node r mod 3.
        var output = await BenchTool.RunAgainstClusterAsync(urls => ["longpoll", urls, "30", "3"]);
        Assert.Contains("30 parked long-polls, 3 rounds; lost 0, duplicates 0", output, StringComparison.Ordinal);
    }

    [RedisFact]
    public async Task Idle_memory_sums_every_node()
    {
        var output = await BenchTool.RunAgainstClusterAsync(urls => ["idle", urls, "30", "--settle", "0"]);
        // The three nodes' processes, found from their listening ports, summed.
        Assert.Matches(@"pid \d+,\d+,\d+: VmRSS [\d,]+ KB → [\d,]+ KB", output);
        Assert.Contains("then one event: delivered to 30 of 30", output, StringComparison.Ordinal);
    }

    [RedisAndNodeFact]
    public async Task Webhook_deliveries_from_every_node_are_counted_once_each()
    {
        var output = await BenchTool.RunAgainstClusterAsync(urls => ["webhooks", urls, "300", "--batch", "50", "--warmup-events", "100"],
            hubArguments: ["--Webhooks:AllowPrivateNetworks", "true"]);
        Assert.Contains("warm-up: 100 of 100 delivered", output, StringComparison.Ordinal);
        // Duplicates are counted by webhook-id: one delivery sent by two nodes would be one.
        Assert.Matches(new Regex(@"300 signed deliveries in [\d.]+ s \(first to last\): \d+/s; lost 0, duplicates 0, rejected signatures 0"), output);
    }

    /// <summary>A fact that needs redis-server and node (the webhook receiver).</summary>
    private sealed class RedisAndNodeFactAttribute : FactAttribute
    {
        public RedisAndNodeFactAttribute()
        {
            if (RedisServer.Unavailable is { } reason)
            {
                Skip = reason;
            }
            else if (!File.Exists("/usr/bin/node"))
            {
                Skip = "node is not installed at /usr/bin/node (the webhook receiver): apt-get install nodejs";
            }
        }
    }
}
