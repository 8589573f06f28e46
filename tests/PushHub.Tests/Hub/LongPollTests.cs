using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PushHub.Hub;
using PushHub.Storage;
using PushHub.Storage.Sqlite;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Hub;

public sealed class LongPollTests
{
    [Fact]
    public async Task A_parked_poll_skips_events_its_caller_has_seen_that_a_trailing_feed_still_hands_it()
    {
        var directory = TestPaths.NewTempDirectory();
        try
        {
            await using var storage = SqliteStorage.Open(new StorageOptions { Path = Path.Combine(directory, "pushhub.db") });
            // No log follower: this test plays it, late, to show a feed that trails the store.
            var feed = new EventFeed();
            feed.Initialize(0);
            var hub = new EventHub(storage.Events, feed, Options.Create(new HubOptions()), TimeProvider.System, new SubscriberCounters());
            var seen = (await storage.Events.AppendAsync([Input(), Input()])).Select(outcome => outcome.Event).ToList();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

            // The caller has read up to seq 2 from the store; the feed has not handed those out yet.
            var poll = hub.PollAsync(after: 2, EventFilter.All, limit: 100, TimeSpan.FromSeconds(60), timeout.Token);
            await LiveHub.EventuallyAsync(() => feed.GetStats().Total == 1, timeout.Token);
            feed.Publish(seen);
            var next = (await storage.Events.AppendAsync([Input()])).Single().Event;
            feed.Publish([next]);
            var result = await poll;

            Assert.Equal([3L], result.Events.Select(e => e.Seq));
            Assert.Equal(3, result.LastSeq);
            Assert.False(result.Truncated);
        }
        finally
        {
            TestPaths.TryDelete(directory);
        }
    }

    [Fact]
    public async Task A_poll_at_the_feeds_head_parks_without_reading_the_store_and_wakes_for_the_next_event()
    {
        await WithHubAsync(async (store, feed, hub, timeout) =>
        {
            var seen = (await store.AppendAsync([Input(), Input()])).Select(outcome => outcome.Event).ToList();
            feed.Publish(seen);
            var readsBefore = store.Reads;

            var poll = hub.PollAsync(after: 2, EventFilter.All, limit: 100, LongWait, timeout);
            await LiveHub.EventuallyAsync(() => feed.GetStats().Total == 1, timeout);
            var next = (await store.AppendAsync([Input()])).Single().Event;
            feed.Publish([next]);
            var result = await poll;

            Assert.Equal([3L], result.Events.Select(e => e.Seq));
            Assert.Equal(3, result.LastSeq);
            Assert.Equal(readsBefore, store.Reads);
        });
    }

    [Fact]
    public async Task A_poll_behind_the_head_gets_the_event_committed_between_its_look_at_the_store_and_joining_the_feed()
    {
        await WithHubAsync(async (store, feed, hub, timeout) =>
        {
            var others = (await store.AppendAsync([Input("b"), Input("b")])).Select(outcome => outcome.Event).ToList();
            feed.Publish(others);
            // Right after the poll's first look (nothing for task a after seq 1), seq 3 of task a is committed and
            // handed out before the poll has joined the feed: only a second look finds it.
            store.AfterFirstRead = async () => feed.Publish([(await store.AppendAsync([Input("a")])).Single().Event]);

            // Its wait outlasts the test's timeout: only the second look can answer before the test gives up.
            var result = await hub.PollAsync(after: 1, new EventFilter(new HashSet<string> { "a" }, null), limit: 100, LongWait, timeout);

            Assert.Equal([3L], result.Events.Select(e => e.Seq));
            Assert.Equal(2, store.Reads);
        });
    }

    [Fact]
    public async Task A_poll_at_a_trailing_feeds_head_but_behind_the_store_reads_the_store_and_reports_what_retention_removed()
    {
        await WithHubAsync(async (store, feed, hub, timeout) =>
        {
            // The feed has handed out nothing (its follower trails); the store holds seqs 1-3, and retention keeps
            // only the last: a poll after 0 must hear that 1 and 2 are gone, which only the store's page can say.
            await store.AppendAsync([Input(), Input(), Input()]);
            await store.PruneAsync(maxEvents: 1, olderThan: DateTimeOffset.MinValue, timeout);

            var result = await hub.PollAsync(after: 0, EventFilter.All, limit: 100, LongWait, timeout);

            Assert.Equal([3L], result.Events.Select(e => e.Seq));
            Assert.True(result.Truncated);
        });
    }

    /// <summary>Longer than the test's own timeout: a poll that answers did so because something woke it.</summary>
    private static readonly TimeSpan LongWait = TimeSpan.FromMinutes(10);

    private static async Task WithHubAsync(Func<CountingStore, EventFeed, EventHub, CancellationToken, Task> test)
    {
        var directory = TestPaths.NewTempDirectory();
        try
        {
            await using var storage = SqliteStorage.Open(new StorageOptions { Path = Path.Combine(directory, "pushhub.db") });
            var store = new CountingStore(storage.Events);
            var feed = new EventFeed();
            feed.Initialize(0);
            var hub = new EventHub(store, feed, Options.Create(new HubOptions()), TimeProvider.System, new SubscriberCounters());
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await test(store, feed, hub, timeout.Token);
        }
        finally
        {
            TestPaths.TryDelete(directory);
        }
    }

    /// <summary>The store, counting range reads; <see cref="AfterFirstRead"/> runs once, after the first read answers.</summary>
    private sealed class CountingStore(IPollingStore inner) : IPollingStore
    {
        private int _reads;
        private Func<Task>? _afterFirstRead;

        public int Reads => Volatile.Read(ref _reads);

        public Func<Task>? AfterFirstRead { set => _afterFirstRead = value; }

        public long HeadSeq => inner.HeadSeq;

        public long FirstSeq => inner.FirstSeq;

        public async Task<EventPage> ReadPageAsync(EventQuery query, CancellationToken cancellationToken = default)
        {
            var page = await inner.ReadPageAsync(query, cancellationToken);
            Interlocked.Increment(ref _reads);
            if (Interlocked.Exchange(ref _afterFirstRead, null) is { } then)
            {
                await then();
            }
            return page;
        }

        public Task<IReadOnlyList<AppendOutcome>> AppendAsync(IReadOnlyList<EventInput> events, CancellationToken cancellationToken = default) =>
            inner.AppendAsync(events, cancellationToken);

        public Task<HubEvent?> AppendIfUnchangedAsync(EventInput input, long expectedLastSeq, CancellationToken cancellationToken = default) =>
            inner.AppendIfUnchangedAsync(input, expectedLastSeq, cancellationToken);

        public IAsyncEnumerable<IReadOnlyList<HubEvent>> FollowAsync(long after, CancellationToken cancellationToken = default) =>
            inner.FollowAsync(after, cancellationToken);

        public Task<TaskSnapshot?> GetTaskAsync(string taskId, CancellationToken cancellationToken = default) =>
            inner.GetTaskAsync(taskId, cancellationToken);

        public Task<IReadOnlyList<TaskSnapshot>> ListTasksAsync(string? status, int limit, CancellationToken cancellationToken = default) =>
            inner.ListTasksAsync(status, limit, cancellationToken);

        public Task<IReadOnlyList<TaskSnapshot>> FindSilentTasksAsync(DateTimeOffset silentSince, int limit, CancellationToken cancellationToken = default) =>
            inner.FindSilentTasksAsync(silentSince, limit, cancellationToken);

        public Task<long> PruneAsync(long maxEvents, DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
            inner.PruneAsync(maxEvents, olderThan, cancellationToken);

        public Task CheckWritableAsync(CancellationToken cancellationToken = default) => inner.CheckWritableAsync(cancellationToken);
    }

    private static EventInput Input(string task = "a") => new(task, "x", Encoding.UTF8.GetBytes("{}"), null);
}
