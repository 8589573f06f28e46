using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Storage;

public sealed class ConcurrencyTests : IDisposable
{
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task Concurrent_publishers_get_gap_free_duplicate_free_seqs()
    {
        const int publishers = 16;
        const int perPublisher = 60;
        var acknowledged = new ConcurrentBag<(long Seq, string Task, int N)>();
        // Start the server before the publishers race to create clients.
        _ = _hub.Server;

        await Task.WhenAll(Enumerable.Range(0, publishers).Select(p => Task.Run(async () =>
        {
            using var client = _hub.CreateClient();
            for (var n = 0; n < perPublisher; n++)
            {
                var task = $"task-{(p + n) % 5}";
                if (n % 10 == 9)
                {
                    // Mix in batches: their seqs must be contiguous and in order.
                    var body = $"[{{\"task_id\":\"{task}\",\"type\":\"x\",\"data\":{{\"p\":{p},\"n\":{n}}}}},{{\"task_id\":\"{task}\",\"type\":\"x\",\"data\":{{\"p\":{p},\"n\":{n + 1000}}}}}]";
                    using var response = await client.PostAsync("/events", HubClient.Json(body));
                    Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                    var events = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["events"]!.AsArray();
                    var first = events[0]!["seq"]!.GetValue<long>();
                    Assert.Equal(first + 1, events[1]!["seq"]!.GetValue<long>());
                    acknowledged.Add((first, task, p * 10_000 + n));
                    acknowledged.Add((first + 1, task, p * 10_000 + n + 1000));
                }
                else
                {
                    var seq = await client.PublishSeqAsync(task, "x", new { p, n });
                    acknowledged.Add((seq, task, p * 10_000 + n));
                }
            }
        })));

        var expected = publishers * (perPublisher + perPublisher / 10);
        var seqs = acknowledged.Select(a => a.Seq).OrderBy(s => s).ToList();
        Assert.Equal(Enumerable.Range(1, expected).Select(i => (long)i), seqs);

        using var reader = _hub.CreateClient();
        var stored = await reader.PollAllAsync();
        Assert.Equal(seqs, stored.Select(e => e["seq"]!.GetValue<long>()));
        var bySeq = acknowledged.ToDictionary(a => a.Seq);
        foreach (var e in stored)
        {
            var ack = bySeq[e["seq"]!.GetValue<long>()];
            Assert.Equal(ack.Task, e["task_id"]!.GetValue<string>());
            var data = e["data"]!;
            Assert.Equal(ack.N, data["p"]!.GetValue<int>() * 10_000 + data["n"]!.GetValue<int>());
        }

        // The task projection counted every event of every task.
        var tasks = JsonNode.Parse(await reader.GetStringAsync("/tasks"))!["tasks"]!.AsArray();
        Assert.Equal(expected, tasks.Sum(t => t!["event_count"]!.GetValue<long>()));
    }
}
