using Microsoft.Extensions.Time.Testing;
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

    [Fact]
    public async Task A_connections_next_poll_is_not_woken_by_the_rest_of_the_batch_that_woke_the_one_before()
    {
        await WithHubAsync(async (store, feed, hub, timeout) =>
        {
            using var waiter = new PollWaiter(hub);
            // Holds the batch's second event back from the parked polls until the connection's next poll is parked.
            using var held = new ManualResetEventSlim();
            using var gate = feed.Listen(new EventFilter(["a"], null), new HoldAt(2, held));
            var first = hub.PollAsync(after: 0, new EventFilter(["a"], null), limit: 100, LongWait, timeout, waiter: waiter);
            var batch = (await store.AppendAsync([Input("a"), Input("a")])).Select(outcome => outcome.Event).ToList();
            var publishing = Task.Run(() => feed.Publish(batch), timeout);

            var answer = await first;
            Assert.Equal([1L], answer.Events.Select(e => e.Seq));
            // The next poll on the same waiter, for another task: seq 2 still reaches the first poll's place in the
            // feed, and must not end this one.
            var next = hub.PollAsync(after: 2, new EventFilter(["c"], null), limit: 100, LongWait, timeout, waiter: waiter);
            held.Set();
            await publishing;
            // Whatever seq 2 did to the waiter, it did on the publishing thread, which is done.
            Assert.False(next.IsCompleted);
            var later = (await store.AppendAsync([Input("c")])).Single().Event;
            feed.Publish([later]);

            Assert.Equal([3L], (await next).Events.Select(e => e.Seq));
        });
    }

    [Fact]
    public async Task A_waiter_used_again_times_out_each_poll_at_its_own_deadline_and_wakes_the_next()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await WithHubAsync(async (store, feed, hub, timeout) =>
        {
            using var waiter = new PollWaiter(hub);
            var seen = (await store.AppendAsync([Input("a")])).Single().Event;
            feed.Publish([seen]);

            for (var round = 0; round < 2; round++)
            {
                var poll = hub.PollAsync(after: 1, new EventFilter(["a"], null), limit: 100, TimeSpan.FromSeconds(30), timeout, waiter: waiter);
                time.Advance(TimeSpan.FromSeconds(29));
                Assert.False(poll.IsCompleted); // the fake clock's timers run inside Advance: nothing to wait for
                time.Advance(TimeSpan.FromSeconds(1));
                var empty = await poll;
                Assert.Empty(empty.Events);
                Assert.Equal(1, empty.LastSeq);
            }
            var woken = hub.PollAsync(after: 1, new EventFilter(["a"], null), limit: 100, TimeSpan.FromSeconds(30), timeout, waiter: waiter);
            feed.Publish([(await store.AppendAsync([Input("a")])).Single().Event]);
            Assert.Equal([2L], (await woken).Events.Select(e => e.Seq));
        }, time);
    }

    [Fact]
    public async Task A_cancelled_poll_leaves_its_waiter_ready_for_the_next()
    {
        await WithHubAsync(async (store, feed, hub, timeout) =>
        {
            using var waiter = new PollWaiter(hub);
            using var leaving = CancellationTokenSource.CreateLinkedTokenSource(timeout);
            var cancelled = hub.PollAsync(after: 0, EventFilter.All, limit: 100, LongWait, leaving.Token, waiter: waiter);
            await leaving.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);
            Assert.Equal(0, feed.GetStats().Total);

            var next = hub.PollAsync(after: 0, EventFilter.All, limit: 100, LongWait, timeout, waiter: waiter);
            feed.Publish([(await store.AppendAsync([Input()])).Single().Event]);
            Assert.Equal([1L], (await next).Events.Select(e => e.Seq));
        });
    }

    [Fact]
    public async Task A_stopping_hub_answers_a_parked_poll_with_what_is_there()
    {
        await WithHubAsync(async (store, feed, hub, timeout) =>
        {
            using var stopping = new CancellationTokenSource();
            var poll = hub.PollAsync(after: 0, EventFilter.All, limit: 100, LongWait, timeout, stopping.Token);
            // Committed, not yet handed out by the feed: the answer on stopping is the store's.
            await store.AppendAsync([Input()]);
            await stopping.CancelAsync();

            var result = await poll;
            Assert.Equal([1L], result.Events.Select(e => e.Seq));
        });
    }

    /// <summary>Blocks the feed's publishing thread at one seq until released.</summary>
    private sealed class HoldAt(long seq, ManualResetEventSlim released) : IFeedListener
    {
        public void OnEvent(HubEvent stored)
        {
            if (stored.Seq == seq)
            {
                released.Wait();
            }
        }
    }

    /// <summary>Longer than the test's own timeout: a poll that answers did so because something woke it.</summary>
    private static readonly TimeSpan LongWait = TimeSpan.FromMinutes(10);

    private static async Task WithHubAsync(Func<CountingStore, EventFeed, EventHub, CancellationToken, Task> test, TimeProvider? time = null)
    {
        var directory = TestPaths.NewTempDirectory();
        try
        {
            await using var storage = SqliteStorage.Open(new StorageOptions { Path = Path.Combine(directory, "pushhub.db") });
            var store = new CountingStore(storage.Events);
            var feed = new EventFeed();
            feed.Initialize(0);
            var hub = new EventHub(store, feed, Options.Create(new HubOptions()), time ?? TimeProvider.System, new SubscriberCounters());
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
