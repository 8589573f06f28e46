using Microsoft.Extensions.Logging.Abstractions;
using PushHub.Hub;
using PushHub.Storage;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Storage.Specs;

/// <summary>
/// The log follower on a provider, feeding a node's <see cref="EventFeed"/>: every committed event reaches the feed's
/// listeners once, in seq order, and a listener gets exactly the events after the head it joined at.
/// </summary>
public abstract class LogFollowerSpec : StorageSpec
{
    private EventFeed _feed = null!;
    private LogFollower _follower = null!;

    /// <summary>Starts a follower and its feed on the store, as a node does before it takes requests.</summary>
    private async Task StartFollowerAsync()
    {
        _feed = new EventFeed();
        _follower = new LogFollower(Events, _feed, Time, NullLogger<LogFollower>.Instance);
        await _follower.StartAsync(Timeout.Token);
    }

    public override async Task DisposeAsync()
    {
        if (_follower is not null)
        {
            await _follower.StopAsync(CancellationToken.None);
            _follower.Dispose();
        }
        await base.DisposeAsync();
    }

    [SpecFact]
    public async Task Every_event_appended_reaches_a_listener_once_in_seq_order()
    {
        await StartFollowerAsync();
        var listener = new Recorder();
        using var registration = _feed.Listen(EventFilter.All, listener);

        await AppendConcurrentlyAsync(publishers: 6, rounds: 20);
        var marker = await AppendAsync("marker");
        await LiveHub.EventuallyAsync(() => listener.Last >= marker.Seq, Timeout.Token);

        // Everything up to the marker, each once and in order: nothing is missing, nothing came twice.
        Assert.Equal(0, registration.StartHead);
        Assert.Equal(Enumerable.Range(1, (int)marker.Seq).Select(i => (long)i), listener.Seqs);
        Assert.Equal((await ReadAllAsync()).Select(e => Text(e.Json)), listener.Events.Select(e => Text(e.Json)));
    }

    [SpecFact]
    public async Task A_listener_that_joins_mid_stream_gets_exactly_the_events_after_its_start_head()
    {
        await StartFollowerAsync();
        var early = new Recorder();
        using var earlyRegistration = _feed.Listen(EventFilter.All, early);
        var late = new Recorder();
        var lateOfTask = new Recorder();

        var publishing = AppendConcurrentlyAsync(publishers: 4, rounds: 30);
        // Join once the stream is under way, while it goes on.
        await LiveHub.EventuallyAsync(() => early.Last >= 40, Timeout.Token);
        var lateRegistration = _feed.Listen(EventFilter.All, late);
        var lateOfTaskRegistration = _feed.Listen(new EventFilter(["t1"], null), lateOfTask);
        await publishing;
        var marker = await AppendAsync("t1", "marker");
        await LiveHub.EventuallyAsync(() => late.Last >= marker.Seq && lateOfTask.Last >= marker.Seq, Timeout.Token);
        lateRegistration.Dispose();
        lateOfTaskRegistration.Dispose();

        var all = await ReadAllAsync();
        Assert.True(lateRegistration.StartHead >= 40);
        Assert.Equal(all.Where(e => e.Seq > lateRegistration.StartHead).Select(e => e.Seq), late.Seqs);
        Assert.Equal(all.Where(e => e.Seq > lateOfTaskRegistration.StartHead && e.TaskId == "t1").Select(e => e.Seq), lateOfTask.Seqs);
        Assert.Equal(all.Select(e => e.Seq), early.Seqs);
    }

    [SpecFact]
    public async Task The_feed_starts_at_the_stores_head_and_follows_on_from_there()
    {
        await AppendBatchAsync("before", 10);
        await StartFollowerAsync();
        var listener = new Recorder();
        using var registration = _feed.Listen(EventFilter.All, listener);

        var next = await AppendAsync("after");
        await LiveHub.EventuallyAsync(() => listener.Last >= next.Seq, Timeout.Token);

        Assert.Equal(10, registration.StartHead);
        Assert.Equal([11L], listener.Seqs);
        Assert.Equal(11, _feed.Head);
    }

    /// <summary>Appends from several publishers at once, half of them through the second node, singles and batches of up to five.</summary>
    private async Task AppendConcurrentlyAsync(int publishers, int rounds)
    {
        IPollingStore[] nodes = [Events, (await SecondNodeAsync()).Events];
        await Task.WhenAll(Enumerable.Range(0, publishers).Select(p => Task.Run(async () =>
        {
            var node = nodes[p % 2];
            for (var n = 0; n < rounds; n++)
            {
                await node.AppendAsync(Enumerable.Range(0, n % 3 == 2 ? 1 + n % 5 : 1).Select(_ => Input($"t{p}")).ToList());
            }
        })));
    }

    /// <summary>Records what the feed hands it (on the publishing thread, one batch at a time).</summary>
    private sealed class Recorder : IFeedListener
    {
        private readonly List<HubEvent> _events = [];
        private long _last;

        public long Last => Volatile.Read(ref _last);

        public IReadOnlyList<long> Seqs
        {
            get
            {
                lock (_events)
                {
                    return _events.Select(e => e.Seq).ToList();
                }
            }
        }

        public IReadOnlyList<HubEvent> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public void OnEvent(HubEvent stored)
        {
            lock (_events)
            {
                _events.Add(stored);
            }
            Volatile.Write(ref _last, stored.Seq);
        }
    }
}
