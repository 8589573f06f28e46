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

    private static EventInput Input() => new("a", "x", Encoding.UTF8.GetBytes("{}"), null);
}
