using System.Text.Json.Nodes;
using PushHub.Hub;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Realtime;

/// <summary>
/// The contract's promise for every transport: a client that drops and comes back with its last seq misses
/// nothing and sees nothing twice, and a client that reads nothing is dropped without hurting the others.
/// </summary>
public sealed class ResumeDrillTests() : LiveHubTest(new Dictionary<string, string?>
{
    ["Retention:MaxEvents"] = "1000000",
    ["Hub:SubscriberQueueCapacity"] = "64",
    ["WebSockets:SendQueueCapacity"] = "16",
})
{
    public static TheoryData<string> Transports => new(SeqStreams.Openers.Keys);

    /// <summary>Transports whose client can stop reading: the SignalR client always drains its connection.</summary>
    public static TheoryData<string> StallableTransports => new("sse", "ws");

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Reconnecting_at_random_points_with_the_last_seq_misses_nothing_and_repeats_nothing(string transport)
    {
        var open = SeqStreams.Openers[transport];
        // The plan is fixed up front so that the client knows how many events to expect: singles and small
        // batches, interleaved with another task the client does not follow.
        var random = new Random(7);
        var plan = Enumerable.Range(0, 300)
            .Select(_ => (Task: random.Next(4) == 0 ? "other" : "drill", Count: random.Next(3) == 0 ? random.Next(2, 8) : 1))
            .ToList();
        var expected = plan.Where(step => step.Task == "drill").Sum(step => step.Count);
        var published = new List<long>();
        var publishing = Task.Run(async () =>
        {
            foreach (var (task, count) in plan)
            {
                var seqs = await PublishBatchAsync(task, count, 16);
                if (task == "drill")
                {
                    published.AddRange(seqs);
                }
            }
        });

        var received = new List<long>();
        var dice = new Random(11);
        bool Done() => received.Count >= expected;
        var connections = 0;
        while (!Done())
        {
            connections++;
            await using var stream = await open(Hub, "drill", received.Count > 0 ? received[^1] : 0, Timeout.Token);
            for (var take = dice.Next(1, 40); take > 0 && !Done(); take--)
            {
                if (await stream.NextSeqAsync() is not { } seq)
                {
                    break;
                }
                received.Add(seq);
            }
        }

        await publishing;
        Assert.True(connections > 5, $"the drill reconnected only {connections} times");
        Assert.Equal(published, received);
    }

    [Theory]
    [MemberData(nameof(StallableTransports))]
    public async Task A_stalled_subscriber_is_dropped_while_a_healthy_one_gets_everything_and_the_stalled_one_resumes(string transport)
    {
        var open = SeqStreams.Openers[transport];
        var transportKind = transport == "sse" ? Transport.Sse : Transport.WebSocket;
        await using var stalled = await open(Hub, "big", 0, Timeout.Token);
        await using var healthy = await open(Hub, "big", 0, Timeout.Token);
        await LiveHub.EventuallyAsync(() => Hub.Connections.Count(transportKind) == 2, Timeout.Token);

        var healthySeqs = new List<long>();
        var reading = Task.Run(async () =>
        {
            while (await healthy.NextSeqAsync() is { } seq)
            {
                lock (healthySeqs)
                {
                    healthySeqs.Add(seq);
                }
            }
        });
        long HealthyLast()
        {
            lock (healthySeqs)
            {
                return healthySeqs.Count == 0 ? 0 : healthySeqs[^1];
            }
        }

        // Large events fill the stalled client's socket buffers; the healthy one is never more than a batch behind.
        var published = new List<long>();
        for (var batch = 0; batch < 400 && Hub.Connections.Count(transportKind) == 2; batch++)
        {
            var seqs = await PublishBatchAsync("big", 20, 16 * 1024);
            published.AddRange(seqs);
            await LiveHub.EventuallyAsync(() => HealthyLast() >= seqs[^1] || reading.IsCompleted, Timeout.Token);
            Assert.False(reading.IsCompleted, "the healthy subscriber was disconnected");
        }
        Assert.Equal(1, Hub.Connections.Count(transportKind));
        lock (healthySeqs)
        {
            Assert.Equal(published, healthySeqs);
        }

        // What the stalled client did get, followed by a resume from its last seq, is the whole stream.
        var resumed = new List<long>();
        while (await stalled.NextSeqAsync() is { } seq)
        {
            resumed.Add(seq);
        }
        await using var again = await open(Hub, "big", resumed.Count > 0 ? resumed[^1] : 0, Timeout.Token);
        while (resumed.Count == 0 || resumed[^1] < published[^1])
        {
            resumed.Add((await again.NextSeqAsync())!.Value);
        }
        Assert.Equal(published, resumed);
    }

    private Task<List<long>> PublishBatchAsync(string taskId, int count, int dataBytes) =>
        Client.PublishBatchAsync(taskId, count, "task.heartbeat", new JsonObject { ["pad"] = new string('x', dataBytes) }, Timeout.Token);
}
