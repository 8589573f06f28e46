using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Webhooks;
using HubProcess = PushHub.Tests.Infrastructure.HubProcess;

namespace PushHub.Tests.Storage.Redis;

/// <summary>
/// Cluster drills for webhooks and long-polls with real processes: three hub processes on one Redis, a real loopback
/// receiver, and <c>kill -9</c> of the node that holds deliveries in flight. What they check is what a receiver relies
/// on: every event arrives once, signed, whichever node took the publish; a delivery in flight on a node that dies is
/// sent by another once its lease ends, under the same <c>webhook-id</c>; a parked long-poll wakes for a publish
/// on another node.
/// </summary>
public sealed class ClusterWebhookDrillTests
{
    private const string Prefix = "webhook-drill:";

    [RedisFact]
    public async Task Three_nodes_deliver_every_event_once_and_signed_whichever_node_took_the_publish()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        using var folder = new TempFolder();
        var nodes = new List<HubProcess>();
        try
        {
            nodes.AddRange(await Task.WhenAll(Enumerable.Range(0, 3).Select(i => StartNodeAsync(redis, folder.Path, i))));
            var clients = nodes.Select(node => node.CreateClient()).ToArray();
            var (_, secret) = await RegisterAsync(clients[1], receiver);

            // Every node takes singles and batches at once.
            var publishes = Enumerable.Range(0, 3).Select(async n =>
            {
                var acknowledged = new List<long>();
                for (var round = 0; round < 8; round++)
                {
                    acknowledged.Add(await clients[n].PublishSeqAsync($"node-{n}", "task.progress", new { percent = round, message = "héllo ✓" }));
                    acknowledged.AddRange(await clients[n].PublishBatchAsync($"batch-{n}-{round}", 4, "task.heartbeat", new JsonObject { ["node"] = n }));
                }
                return acknowledged;
            });
            var seqs = (await Task.WhenAll(publishes)).SelectMany(s => s).Order().ToList();
            var total = 3 * 8 * 5;
            Assert.Equal(Enumerable.Range(1, total).Select(seq => (long)seq), seqs);

            // Markers: every webhook-id has arrived, then the outbox is empty on the cluster (each delivery was resolved,
            // so none can be claimed and sent again), then a last event published after that arrives too.
            await WaitForAsync(() => receiver.Received.Select(d => d.Headers["webhook-id"]).Distinct().Count() >= total, "every event");
            await WaitForPendingAsync(clients[2], 0);
            var marker = await clients[0].PublishSeqAsync("marker", "task.completed");
            await WaitForAsync(() => receiver.Received.Any(d => d.Headers["webhook-id"] == $"evt_{marker}"), "the marker");
            await WaitForPendingAsync(clients[1], 0);

            var received = receiver.Received;
            // Exactly once each, counted by webhook-id and by the seq in the body.
            Assert.Equal(Enumerable.Range(1, total + 1).Select(seq => (long)seq), received.Select(d => long.Parse(d.Headers["webhook-id"]["evt_".Length..])).Order());
            Assert.Equal(Enumerable.Range(1, total + 1).Select(seq => (long)seq), received.Select(d => JsonNode.Parse(d.Body)!["seq"]!.GetValue<long>()).Order());
            // The body is the stored event, whichever node sent it; the signature verifies with the secret.
            var stored = (await clients[2].PollAllAsync()).ToDictionary(e => $"evt_{e["seq"]!.GetValue<long>()}", e => e.ToJsonString());
            Assert.All(received, delivery =>
            {
                Assert.Equal(stored[delivery.Headers["webhook-id"]], JsonNode.Parse(delivery.Body)!.ToJsonString());
                AssertSigned(secret, delivery);
            });
        }
        finally
        {
            nodes.ForEach(node => node.Dispose());
        }
    }

    [RedisFact]
    public async Task Killing_the_node_that_holds_deliveries_in_flight_loses_none_and_another_node_sends_them_with_the_same_webhook_id()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answered = new ConcurrentDictionary<int, int>(); // delivery number -> status sent back
        receiver.Respond = async (number, context) =>
        {
            if (!release.Task.IsCompleted)
            {
                try
                {
                    await release.Task.WaitAsync(context.RequestAborted); // held open: no answer until released
                }
                catch (OperationCanceledException)
                {
                    return; // the sender went away (killed) or gave up
                }
            }
            context.Response.StatusCode = StatusCodes.Status200OK;
            answered[number] = StatusCodes.Status200OK;
        };
        using var folder = new TempFolder();
        var nodes = new List<HubProcess>();
        try
        {
            // Only node A runs: it claims and sends, and the receiver holds its requests.
            var a = await StartNodeAsync(redis, folder.Path, 0);
            nodes.Add(a);
            using var clientA = a.CreateClient();
            var (id, secret) = await RegisterAsync(clientA, receiver);
            var held = await clientA.PublishBatchAsync("deploy-7", 6, "task.heartbeat", new JsonObject { ["step"] = "held" });
            await WaitForAsync(() => receiver.Count == held.Count, "node A's deliveries held by the receiver");
            var heldByA = receiver.Received.Select(d => d.Headers["webhook-id"]).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(held.Select(seq => $"evt_{seq}").Order(StringComparer.Ordinal), heldByA);

            // B and C join while A's claims run; then A dies with its requests open, and the receiver answers 2xx from now on.
            nodes.AddRange(await Task.WhenAll(StartNodeAsync(redis, folder.Path, 1), StartNodeAsync(redis, folder.Path, 2)));
            using var clientB = nodes[1].CreateClient();
            using var clientC = nodes[2].CreateClient();
            var sentBeforeKill = receiver.Count;
            a.KillHard();
            release.TrySetResult();

            // More events after the kill, on both survivors: they are sent at once, A's only when A's leases end.
            var after = new List<long> { await clientB.PublishSeqAsync("deploy-7", "task.progress", new { percent = 50 }) };
            after.AddRange(await clientC.PublishBatchAsync("deploy-8", 3, "task.heartbeat", new JsonObject { ["step"] = "after" }));
            var everyId = held.Concat(after).Select(seq => $"evt_{seq}").ToList();
            await WaitForAsync(() => everyId.All(Answered(receiver, answered, sentBeforeKill).Contains), "every event answered 2xx, A's held ones by B or C",
                timeout: TimeSpan.FromMinutes(2));
            await WaitForPendingAsync(clientB, 0);

            // Before the kill only A had sent (B and C left A's claims alone); after it, each event went out exactly once more.
            Assert.True(sentBeforeKill == held.Count, $"{sentBeforeKill - held.Count} deliveries went out before the kill beside A's {held.Count} " +
                "held ones: B or C took a claim under A's lease (or A's 30 s attempts timed out while B and C were starting)");
            var afterKill = receiver.Received.Where(d => d.Number > sentBeforeKill).ToList();
            Assert.Equal(everyId.Order(StringComparer.Ordinal), afterKill.Select(d => d.Headers["webhook-id"]).Order(StringComparer.Ordinal));
            Assert.All(receiver.Received, delivery => AssertSigned(secret, delivery));
            // The resend of a held delivery is byte for byte what A sent.
            foreach (var first in receiver.Received.Where(d => d.Number <= sentBeforeKill))
            {
                Assert.Equal(first.Body, afterKill.Single(d => d.Headers["webhook-id"] == first.Headers["webhook-id"]).Body);
            }
            var attempts = JsonNode.Parse(await clientC.GetStringAsync($"/webhooks/{id}/deliveries"))!["deliveries"]!.AsArray();
            Assert.Equal(everyId.Count, attempts.Count(attempt => attempt!["outcome"]!.GetValue<string>() == "succeeded"));
        }
        finally
        {
            nodes.ForEach(node => node.Dispose());
        }
    }

    [RedisFact]
    public async Task A_long_poll_on_one_node_and_a_WebSocket_on_another_wake_for_a_publish_on_a_third()
    {
        await using var redis = await RedisServer.StartAsync();
        using var folder = new TempFolder();
        var nodes = new List<HubProcess>();
        try
        {
            nodes.AddRange(await Task.WhenAll(Enumerable.Range(0, 3).Select(i => StartNodeAsync(redis, folder.Path, i))));
            using var clientA = nodes[0].CreateClient();
            using var clientB = nodes[1].CreateClient();
            using var clientC = nodes[2].CreateClient();
            var head = await clientB.PublishSeqAsync("warm-up", "task.started");
            // Every node has followed the log up to the head before anything parks there.
            foreach (var client in new[] { clientA, clientC })
            {
                await WaitForAsync(async () => (await StatsAsync(client))["head_seq"]!.GetValue<long>() >= head, "the node to follow the log to the head");
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            using var pollClient = new HttpClient { BaseAddress = nodes[0].Address, Timeout = TimeSpan.FromSeconds(90) };
            var poll = pollClient.PollAsync($"after={head}&task=deploy-9&wait=60");
            await using var ws = await WsClient.ConnectAsync(nodes[2].Address, $"?task=deploy-9&after={head}", timeout.Token);
            Assert.Equal("subscribed", (await ws.ReceiveJsonAsync())["op"]!.GetValue<string>());
            // Markers: the poll is parked on A (a listener on its feed) and the WebSocket's subscription is live on C.
            await WaitForAsync(async () =>
            {
                Assert.False(poll.IsCompleted, "the long-poll answered before anything matching was published");
                return (await StatsAsync(clientA))["subscribers"]!.GetValue<int>() >= 1;
            }, "the long-poll to park on node A");
            await WaitForAsync(async () => (await StatsAsync(clientC))["subscribers"]!.GetValue<int>() >= 1, "the WebSocket to subscribe on node C");

            var seq = await clientB.PublishSeqAsync("deploy-9", "task.completed", new { result = "ok" });

            var page = await poll;
            Assert.Equal([seq], page.Seqs);
            Assert.False(page.Truncated);
            Assert.Equal("task.completed", page.Events[0]["type"]!.GetValue<string>());
            var frame = await ws.ReceiveJsonAsync();
            Assert.Equal(seq, frame["seq"]!.GetValue<long>());
            Assert.Equal("deploy-9", frame["task_id"]!.GetValue<string>());
        }
        finally
        {
            nodes.ForEach(node => node.Dispose());
        }
    }

    /// <summary>The webhook-ids answered 2xx among the deliveries received after the first <paramref name="skip"/>.</summary>
    private static HashSet<string> Answered(WebhookReceiver receiver, ConcurrentDictionary<int, int> answered, int skip) =>
        receiver.Received.Where(d => d.Number > skip && answered.ContainsKey(d.Number)).Select(d => d.Headers["webhook-id"]).ToHashSet(StringComparer.Ordinal);

    /// <summary>Both signatures, checked with nothing but the secret and HMAC-SHA256 (as WebhookDeliveryTests does).</summary>
    private static void AssertSigned(string secret, ReceivedDelivery delivery)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var headers = delivery.Headers;
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, delivery.Body)), headers["x-webhook-signature"]);
        var signed = Encoding.UTF8.GetBytes($"{headers["webhook-id"]}.{headers["webhook-timestamp"]}.").Concat(delivery.Body).ToArray();
        Assert.Equal("v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed)), headers["webhook-signature"]);
    }

    private static async Task<(string Id, string Secret)> RegisterAsync(HttpClient client, WebhookReceiver receiver)
    {
        using var created = await client.PostAsync("/webhooks", HubClient.Json($$"""{"url":"{{receiver.Url}}"}"""));
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == System.Net.HttpStatusCode.Created, $"expected 201, got {(int)created.StatusCode}: {text}");
        var webhook = JsonNode.Parse(text)!;
        return (webhook["id"]!.GetValue<string>(), webhook["secret"]!.GetValue<string>());
    }

    private static async Task<JsonNode> StatsAsync(HttpClient client) => JsonNode.Parse(await client.GetStringAsync("/stats"))!;

    private static Task WaitForPendingAsync(HttpClient client, long pending) =>
        WaitForAsync(async () => (await StatsAsync(client))["pending_deliveries"]!.GetValue<long>() == pending, $"{pending} pending deliveries");

    private static Task WaitForAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitForAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>Waits for a marker in real time; generous, since seven helpers share two cores and the processes are real.</summary>
    private static async Task WaitForAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(50);
        }
    }

    private static Task<HubProcess> StartNodeAsync(RedisServer redis, string folder, int node) =>
        HubProcess.StartAsync(System.IO.Path.Combine(folder, $"node-{node}.db"),
            "--Storage:Provider", "Redis",
            "--Storage:Redis:Configuration", redis.Configuration,
            "--Storage:Redis:KeyPrefix", Prefix,
            "--Auth:TokenSigningKey", "a-signing-key-of-at-least-thirty-two-chars",
            "--Webhooks:AllowPrivateNetworks", "true",
            // An attempt may hang 30 s; a claim outlasts it by the 10 s margin, then another node takes it over.
            "--Webhooks:TimeoutSeconds", "30",
            "--Webhooks:LeaseDuration", "00:00:40",
            "--Serilog:MinimumLevel:Default", "Warning");
}
