using System.Net;
using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Storage.Redis;

/// <summary>
/// Cluster drills with real processes: three hub processes on one Redis, published to at once, read from each, and
/// killed with SIGKILL. What they check is what a user of cluster mode relies on: one gap-free seq order with every
/// acknowledged event once, the same answers from every node, a stream that resumes on another node, and nothing
/// acknowledged lost when every node dies.
/// </summary>
public sealed class ClusterDrillTests
{
    private const string Prefix = "drill:";

    [RedisFact]
    public async Task Three_nodes_give_one_gap_free_order_and_the_same_answers_and_a_stream_resumes_on_another_node()
    {
        await using var redis = await RedisServer.StartAsync();
        using var folder = new TempFolder();
        var nodes = new List<HubProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                nodes.Add(await StartNodeAsync(redis, folder.Path, i));
            }
            var clients = nodes.Select(node => node.CreateClient()).ToArray();
            await using var stream = await SseClient.OpenAsync(clients[0], "?after=0");

            // Every node takes singles and batches of two tasks at once.
            var publishes = Enumerable.Range(0, 3).Select(async n =>
            {
                var acknowledged = new List<long>();
                for (var round = 0; round < 10; round++)
                {
                    acknowledged.Add(await clients[n].PublishSeqAsync($"task-{round % 2}", "task.progress", new { percent = round }));
                    acknowledged.AddRange(await clients[n].PublishBatchAsync($"task-{(round + 1) % 2}", 5, "task.heartbeat", new JsonObject { ["node"] = n }));
                }
                return acknowledged;
            });
            var acknowledgedSeqs = (await Task.WhenAll(publishes)).SelectMany(seqs => seqs).Order().ToList();
            Assert.Equal(Enumerable.Range(1, 3 * 10 * 6).Select(seq => (long)seq), acknowledgedSeqs);

            // A batch with one bad event stores nothing on any node; one idempotency key sent to two nodes stores one event.
            using (var bad = await clients[1].PostAsync("/events", HubClient.Json(
                """[{"task_id":"task-0","type":"task.progress"},{"task_id":"","type":"task.progress"}]""")))
            {
                Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            }
            using var first = await clients[0].PublishAsync("task-0", "task.completed", idempotencyKey: "deploy-42-done");
            using var again = await clients[2].PublishAsync("task-0", "task.completed", idempotencyKey: "deploy-42-done");
            var firstSeq = JsonNode.Parse(await first.Content.ReadAsStringAsync())!["seq"]!.GetValue<long>();
            Assert.Equal(firstSeq, JsonNode.Parse(await again.Content.ReadAsStringAsync())!["seq"]!.GetValue<long>());
            Assert.Equal(181, firstSeq);

            // Every node answers the same log and the same projection.
            var logs = await Task.WhenAll(clients.Select(client => client.PollAllAsync()));
            foreach (var log in logs)
            {
                Assert.Equal(Enumerable.Range(1, 181).Select(seq => (long)seq), log.Select(e => e["seq"]!.GetValue<long>()));
                Assert.Equal(logs[0].Select(e => e.ToJsonString()), log.Select(e => e.ToJsonString()));
            }
            var projections = await Task.WhenAll(clients.Select(client => client.GetStringAsync("/tasks/task-0")));
            Assert.All(projections, projection => Assert.Equal(projections[0], projection));
            Assert.Equal("completed", JsonNode.Parse(projections[0])!["status"]!.GetValue<string>());

            // The stream on node 0 saw every event from every node, in order; it resumes on node 2 with nothing missed or repeated.
            var seen = new List<long>();
            while (seen.Count < 100)
            {
                seen.Add(long.Parse((await stream.NextAsync())!.Value.EventId!));
            }
            await stream.DisposeAsync();
            await using var resumed = await SseClient.OpenAsync(clients[2], "", lastEventId: seen[^1]);
            while (seen.Count < 181)
            {
                seen.Add(long.Parse((await resumed.NextAsync())!.Value.EventId!));
            }
            Assert.Equal(Enumerable.Range(1, 181).Select(seq => (long)seq), seen);
        }
        finally
        {
            nodes.ForEach(node => node.Dispose());
        }
    }

    [RedisFact]
    public async Task Killing_every_node_during_publishing_loses_nothing_that_was_acknowledged()
    {
        await using var redis = await RedisServer.StartAsync();
        using var folder = new TempFolder();
        var nodes = new List<HubProcess>();
        for (var i = 0; i < 3; i++)
        {
            nodes.Add(await StartNodeAsync(redis, folder.Path, i));
        }
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<long, string>();
        using var enough = new CancellationTokenSource();
        var publishers = nodes.Select((node, n) => Task.Run(async () =>
        {
            using var client = node.CreateClient();
            for (var i = 0; ; i++)
            {
                try
                {
                    var seq = await client.PublishSeqAsync($"node-{n}", "task.heartbeat", new { i });
                    acknowledged[seq] = $"node-{n}";
                    if (acknowledged.Count >= 150)
                    {
                        enough.Cancel();
                    }
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or InvalidOperationException)
                {
                    return; // the node is gone: what it did not answer was not acknowledged
                }
            }
        })).ToArray();

        // Once 150 publishes are acknowledged (the marker), every node dies at once, mid-publish.
        await Task.Delay(TimeSpan.FromSeconds(60), enough.Token).ContinueWith(_ => { }); // bounded: a broken cluster fails below, never hangs
        nodes.ForEach(node => node.KillHard());
        await Task.WhenAll(publishers);
        nodes.ForEach(node => node.Dispose());

        using var restarted = await StartNodeAsync(redis, folder.Path, 3);
        using var reader = restarted.CreateClient();
        var stored = (await reader.PollAllAsync()).ToDictionary(e => e["seq"]!.GetValue<long>(), e => e["task_id"]!.GetValue<string>());
        Assert.True(acknowledged.Count >= 150, $"only {acknowledged.Count} publishes were acknowledged before the nodes died");
        foreach (var (seq, task) in acknowledged)
        {
            Assert.True(stored.TryGetValue(seq, out var storedTask), $"acknowledged seq {seq} is missing after every node died");
            Assert.Equal(task, storedTask);
        }
        // No gap either: the log runs 1..head.
        Assert.Equal(Enumerable.Range(1, stored.Count).Select(seq => (long)seq), stored.Keys.Order());
    }

    private static Task<HubProcess> StartNodeAsync(RedisServer redis, string folder, int node) =>
        HubProcess.StartAsync(System.IO.Path.Combine(folder, $"node-{node}.db"),
            "--Storage:Provider", "Redis",
            "--Storage:Redis:Configuration", redis.Configuration,
            "--Storage:Redis:KeyPrefix", Prefix,
            "--Auth:TokenSigningKey", "a-signing-key-of-at-least-thirty-two-chars");
}
