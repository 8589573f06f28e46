using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using PushHub.Hub;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Realtime;

/// <summary>
/// The contract's promise for every transport: a client that drops and comes back with its last seq misses
/// nothing and sees nothing twice, whatever the connection follows, and a client that pauses while far more than its
/// queue is published loses nothing and is not disconnected.
/// </summary>
public sealed class ResumeDrillTests() : LiveHubTest(new Dictionary<string, string?>
{
    ["Retention:MaxEvents"] = "1000000",
    ["Hub:SubscriberQueueBytes"] = "65536",
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
        // batches across the three tasks each connection follows, interleaved with another task it does not.
        string[] followed = ["drill-1", "drill-2", "drill-3"];
        var random = new Random(7);
        var plan = Enumerable.Range(0, 300)
            .Select(_ => (Task: random.Next(4) is var pick && pick == 3 ? "other" : followed[pick], Count: random.Next(3) == 0 ? random.Next(2, 8) : 1))
            .ToList();
        var expected = plan.Where(step => step.Task != "other").Sum(step => step.Count);
        var published = new List<long>();
        var publishing = Task.Run(async () =>
        {
            foreach (var (task, count) in plan)
            {
                var seqs = await PublishBatchAsync(task, count, 16);
                if (task != "other")
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
            await using var stream = await open(Hub, followed, received.Count > 0 ? received[^1] : 0, Timeout.Token);
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
    public async Task A_reader_that_pauses_while_far_more_than_its_queue_is_published_then_reads_gets_everything_on_the_same_connection(string transport)
    {
        var open = SeqStreams.Openers[transport];
        var transportKind = transport == "sse" ? Transport.Sse : Transport.WebSocket;
        string[] tasks = ["big-1", "big-2"];
        await using var paused = await open(Hub, tasks, 0, Timeout.Token);
        await using var healthy = await open(Hub, tasks, 0, Timeout.Token);
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

        // 16 MB, 256 times the paused reader's queue and more than the socket buffers hold; the healthy reader is never
        // more than a batch behind.
        var published = new List<long>();
        for (var batch = 0; batch < 400; batch++)
        {
            var seqs = await PublishBatchAsync(tasks[batch % 2], 20, 2048);
            published.AddRange(seqs);
            await LiveHub.EventuallyAsync(() => HealthyLast() >= seqs[^1] || reading.IsCompleted, Timeout.Token);
            Assert.False(reading.IsCompleted, "the healthy subscriber was disconnected");
        }
        lock (healthySeqs)
        {
            Assert.Equal(published, healthySeqs);
        }

        var resumed = new List<long>();
        while (resumed.Count < published.Count && await paused.NextSeqAsync() is { } seq)
        {
            resumed.Add(seq);
        }
        Assert.Equal(published, resumed);
        Assert.Equal(2, Hub.Connections.Count(transportKind));
        Assert.True(Hub.Factory.Services.GetRequiredService<SubscriberCounters>().CatchUps > 0, "the paused reader never fell back to the store");
    }

    private Task<List<long>> PublishBatchAsync(string taskId, int count, int dataBytes) =>
        Client.PublishBatchAsync(taskId, count, "task.heartbeat", new JsonObject { ["pad"] = new string('x', dataBytes) }, Timeout.Token);
}
