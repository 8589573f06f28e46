using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;
using StackExchange.Redis;

namespace PushHub.Tests.Storage.Redis;

/// <summary>
/// Failover drills with a real Redis primary, real replicas and a real Sentinel: hub processes publish, the primary
/// is killed with SIGKILL, and Sentinel promotes a replica. One node finds Redis through Sentinel
/// (<c>serviceName=</c>), another is given the servers' endpoints; both must follow the promotion by themselves. The
/// publishers retry the way a client of the contract does (same idempotency key, until it is acknowledged), and
/// what the drills check is what such a client relies on: nothing acknowledged is lost when publishes wait for a
/// replica, no seq is ever acknowledged twice when they do not, and a reader from a lost seq is told.
/// </summary>
public sealed class RedisFailoverDrillTests
{
    private const string Service = "pushhub";
    private const string Prefix = "failover:";

    /// <summary>Every wait of a drill ends by then: a cluster that cannot fail over fails the test, never hangs it.</summary>
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(120);

    [RedisFact]
    public async Task With_WaitForReplicas_a_promotion_loses_nothing_acknowledged_and_nodes_on_Sentinel_and_on_endpoints_resume_publishing()
    {
        using var bound = new CancellationTokenSource(s_bound);
        await using var primary = await RedisServer.StartAsync();
        await using var replicaOne = await RedisServer.StartReplicaAsync(primary.Port);
        await using var replicaTwo = await RedisServer.StartReplicaAsync(primary.Port);
        await WaitForOnlineReplicasAsync(primary, 2, bound.Token);
        await using var sentinel = await RedisServer.StartSentinelAsync(Service, primary.Port);
        await WaitForSentinelReplicasAsync(sentinel, 2, bound.Token);
        using var folder = new TempFolder();
        using var viaSentinel = await StartNodeAsync(folder, 0, $"127.0.0.1:{sentinel.Port},serviceName={Service}", waitForReplicas: 1);
        using var viaEndpoints = await StartNodeAsync(folder, 1,
            $"{primary.Configuration},{replicaOne.Configuration},{replicaTwo.Configuration}", waitForReplicas: 1);

        var acknowledged = new ConcurrentDictionary<string, long>();
        var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var publishers = new[] { viaSentinel, viaEndpoints }.Select((node, n) => Task.Run(async () =>
        {
            for (var i = 0; i < 60; i++)
            {
                var key = $"node-{n}-event-{i}";
                acknowledged[key] = await PublishUntilAcknowledgedAsync(node, $"task-{n}", key, bound.Token);
                if (acknowledged.Count >= 40)
                {
                    halfway.TrySetResult();
                }
            }
        })).ToArray();

        // 40 publishes acknowledged (the marker), both nodes still publishing: the primary dies.
        var publishing = Task.WhenAll(publishers);
        if (await Task.WhenAny(halfway.Task, publishing) == publishing)
        {
            await publishing; // a publisher failed before the marker: its error is the test's
        }
        await primary.KillAsync();
        await publishing;

        await WaitUntilAsync(async () => await SentinelPrimaryPortAsync(sentinel) is var port && (port == replicaOne.Port || port == replicaTwo.Port),
            "Sentinel to name a replica primary", bound.Token);
        Assert.Equal(120, acknowledged.Count);
        Assert.Equal(120, acknowledged.Values.Distinct().Count()); // no seq acknowledged for two events
        foreach (var node in new[] { viaSentinel, viaEndpoints })
        {
            using var client = node.CreateClient();
            var stored = await client.PollAllAsync();
            // Every acknowledged event is stored once, under the seq it was acknowledged with, and nothing else is.
            Assert.Equal(acknowledged.OrderBy(pair => pair.Value).Select(pair => (pair.Key, pair.Value)),
                stored.Select(e => (e["data"]!["key"]!.GetValue<string>(), e["seq"]!.GetValue<long>())));
        }
    }

    [RedisFact]
    public async Task Without_replica_waits_a_promoted_lagging_replica_never_gets_a_seq_acknowledged_twice_and_a_poll_from_a_lost_seq_is_truncated()
    {
        using var bound = new CancellationTokenSource(s_bound);
        await using var primary = await RedisServer.StartAsync();
        // The replica replicates through a relay that can stop forwarding: it falls behind on cue.
        await using var relay = new TcpRelay(primary.Port);
        await using var replica = await RedisServer.StartReplicaAsync(relay.Port);
        await WaitForOnlineReplicasAsync(primary, 1, bound.Token);
        await using var sentinel = await RedisServer.StartSentinelAsync(Service, primary.Port);
        await WaitForSentinelReplicasAsync(sentinel, 1, bound.Token);
        using var folder = new TempFolder();
        using var viaSentinel = await StartNodeAsync(folder, 0, $"127.0.0.1:{sentinel.Port},serviceName={Service}", waitForReplicas: 0);
        using var viaEndpoints = await StartNodeAsync(folder, 1, $"{primary.Configuration},{replica.Configuration}", waitForReplicas: 0);
        using var a = viaSentinel.CreateClient();
        using var b = viaEndpoints.CreateClient();

        var replicated = new List<long>();
        for (var i = 0; i < 20; i++)
        {
            replicated.Add(await PublishUntilAcknowledgedAsync(viaSentinel, "task-a", $"before-{i}", bound.Token));
        }
        await WaitUntilAsync(async () => await replica.CommandAsync("GET", Prefix + "seq") == "$2\r\n20\r\n",
            "the replica to have the first 20 events", bound.Token);
        Assert.Contains($"master_port:{relay.Port}\r\n", await replica.CommandAsync("INFO", "replication")); // still through the relay
        relay.Hold();
        var lost = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            lost.Add(await PublishUntilAcknowledgedAsync(viaSentinel, "task-a", $"lost-{i}", bound.Token));
        }
        // The other node has read the log up to there (its view of the head is what a publish from it goes past).
        Assert.Equal([30L], (await b.PollAsync("after=29")).Events.Select(e => e["seq"]!.GetValue<long>()));

        // The primary dies with 10 acknowledged events that the replica never got; Sentinel promotes the replica.
        Assert.True(await SentinelPrimaryPortAsync(sentinel) == primary.Port, $"Sentinel failed over too early:\n{sentinel.Output}");
        await primary.KillAsync();
        var after = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            after.Add(await PublishUntilAcknowledgedAsync(viaSentinel, "task-a", $"after-a-{i}", bound.Token));
            after.Add(await PublishUntilAcknowledgedAsync(viaEndpoints, "task-b", $"after-b-{i}", bound.Token));
        }

        // The replica already takes writes while Sentinel finishes the failover: its switch is the marker.
        await WaitUntilAsync(async () => await SentinelPrimaryPortAsync(sentinel) == replica.Port, "Sentinel to name the replica primary", bound.Token);
        Assert.Equal(Enumerable.Range(1, 30).Select(seq => (long)seq), replicated.Concat(lost));
        // Publishing resumed past every seq acknowledged before, on both nodes: none of the lost ones handed out again.
        Assert.All(after, seq => Assert.True(seq > 30, $"seq {seq} was acknowledged before the failover, for another event"));
        Assert.Equal(after.Count, after.Distinct().Count());

        foreach (var client in new[] { a, b })
        {
            // A reader from a lost seq, or from the last one before them, is told that events are gone.
            var fromLost = await client.PollAsync("after=25");
            var fromLastKept = await client.PollAsync("after=20");
            var seen = $"after=25 answered {string.Join(",", fromLost.Events.Select(e => e["seq"]))}, after=20 answered " +
                $"{string.Join(",", fromLastKept.Events.Select(e => e["seq"]))}; acknowledged after the failover {string.Join(",", after)}";
            Assert.True(fromLost.Truncated, seen);
            Assert.True(fromLastKept.Truncated, seen);
            Assert.Equal(after.Order(), fromLost.Events.Select(e => e["seq"]!.GetValue<long>()));
            // A reader from before the loss reads what survived, then what came after, each once and in order.
            var all = await client.PollAllAsync();
            Assert.Equal(replicated.Concat(after.Order()), all.Select(e => e["seq"]!.GetValue<long>()));
        }
    }

    [RedisFact]
    public async Task While_Redis_is_down_requests_are_answered_503_with_Retry_After_and_streams_and_publishing_carry_on_when_it_is_back()
    {
        using var bound = new CancellationTokenSource(s_bound);
        var redis = await RedisServer.StartAsync();
        try
        {
            using var folder = new TempFolder();
            using var node = await StartNodeAsync(folder, 0, redis.Configuration, waitForReplicas: 0);
            using var client = node.CreateClient();
            Assert.Equal(1, await PublishUntilAcknowledgedAsync(node, "task-a", "first", bound.Token));
            await using var stream = await SseClient.OpenAsync(client, "?after=0");
            Assert.Equal("1", (await stream.NextAsync())!.Value.EventId);

            await redis.KillAsync();
            using var publish = await client.PublishAsync("task-a", "task.heartbeat", idempotencyKey: "second");
            using var poll = await client.GetAsync("/events?after=0");

            foreach (var response in new[] { publish, poll })
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
                var problem = await response.ReadProblemAsync();
                Assert.Equal("Storage unavailable", problem["title"]!.GetValue<string>());
                Assert.DoesNotContain(redis.Configuration, problem.ToJsonString()); // where Redis is stays with the operator
            }

            // A new, empty Redis on the same address (the log is gone with the old one, as after a lost failover):
            // the node reconnects by itself and goes on past every seq it handed out.
            await using var back = await redis.StartAgainAsync();
            var next = await PublishUntilAcknowledgedAsync(node, "task-a", "second", bound.Token);
            Assert.True(next > 1, $"seq {next} was handed out before Redis went away");
            Assert.True((await client.PollAsync("after=0")).Truncated);
            // The stream opened before the outage was not closed by it: it gets the next event once Redis is back.
            Assert.Equal(next.ToString(), (await stream.NextAsync())!.Value.EventId);
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }

    /// <summary>
    /// Publishes one event with an idempotency key as a client of the contract does: on a 503, a connection error or
    /// a timeout it retries the same request until the hub acknowledges it (202, or 200 for the stored original).
    /// </summary>
    private static async Task<long> PublishUntilAcknowledgedAsync(HubProcess node, string task, string key, CancellationToken bound)
    {
        using var client = node.CreateClient();
        var answers = new List<string>();
        while (true)
        {
            if (bound.IsCancellationRequested)
            {
                Assert.Fail($"{key} was never acknowledged; the hub answered: {string.Join(", ", answers)}");
            }
            try
            {
                using var response = await client.PublishAsync(task, "task.heartbeat", new { key }, idempotencyKey: key);
                var text = await response.Content.ReadAsStringAsync(CancellationToken.None);
                answers.Add(((int)response.StatusCode).ToString());
                if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK)
                {
                    return JsonNode.Parse(text)!["seq"]!.GetValue<long>();
                }
                // During a failover a publish is acknowledged or answered 503 with Retry-After: never a 500.
                Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable,
                    $"a publish was answered {(int)response.StatusCode}: {text}\nthe hub's log:\n{WarningsAndErrors(node.Output)}");
                Assert.NotNull(response.Headers.RetryAfter);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !bound.IsCancellationRequested)
            {
                answers.Add(exception.GetType().Name);
            }
            await Task.Delay(100, CancellationToken.None);
        }
    }

    /// <summary>The log's warnings and errors with what follows them (a stack trace), without the request lines.</summary>
    private static string WarningsAndErrors(string log) =>
        string.Join("\n", log.Split('\n').SkipWhile(line => !line.Contains(" ERR] ") && !line.Contains(" WRN] "))
            .Where(line => !line.Contains(" INF] ")).Take(60));

    private static Task<HubProcess> StartNodeAsync(TempFolder folder, int node, string configuration, int waitForReplicas) =>
        HubProcess.StartAsync(Path.Combine(folder.Path, $"node-{node}.db"),
            "--Storage:Provider", "Redis",
            "--Storage:Redis:Configuration", configuration,
            "--Storage:Redis:KeyPrefix", Prefix,
            "--Storage:Redis:WaitForReplicas", waitForReplicas.ToString(),
            "--Auth:TokenSigningKey", "a-signing-key-of-at-least-thirty-two-chars");

    private static Task WaitForOnlineReplicasAsync(RedisServer primary, int count, CancellationToken bound) =>
        WaitUntilAsync(async () =>
        {
            var info = await primary.CommandAsync("INFO", "replication");
            return info.Split("state=online").Length - 1 == count;
        }, $"{count} replicas to be in sync with the primary", bound);

    private static async Task WaitForSentinelReplicasAsync(RedisServer sentinel, int count, CancellationToken bound)
    {
        await using var connection = await SentinelConnectionAsync(sentinel);
        var server = connection.GetServer("127.0.0.1", sentinel.Port);
        await WaitUntilAsync(async () =>
        {
            var replicas = await server.SentinelReplicasAsync(Service);
            return replicas.Count(replica => replica.Any(field => field is { Key: "flags", Value: "slave" })) == count;
        }, $"the Sentinel to know {count} healthy replicas", bound);
    }

    private static async Task<int> SentinelPrimaryPortAsync(RedisServer sentinel)
    {
        await using var connection = await SentinelConnectionAsync(sentinel);
        var primary = await connection.GetServer("127.0.0.1", sentinel.Port).SentinelGetMasterAddressByNameAsync(Service);
        return ((IPEndPoint)primary!).Port;
    }

    private static Task<ConnectionMultiplexer> SentinelConnectionAsync(RedisServer sentinel) =>
        ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", sentinel.Port } },
            CommandMap = CommandMap.Sentinel,
        });

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, CancellationToken bound)
    {
        while (!await condition())
        {
            if (bound.IsCancellationRequested)
            {
                Assert.Fail($"gave up waiting for {what}");
            }
            await Task.Delay(50, CancellationToken.None);
        }
    }
}
