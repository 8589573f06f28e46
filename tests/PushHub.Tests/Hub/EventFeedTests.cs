using PushHub.Hub;

namespace PushHub.Tests.Hub;

public sealed class EventFeedTests
{
    private static HubEvent Event(long seq, string task, string type = "x") =>
        new(seq, task, type, DateTimeOffset.UnixEpoch, "{}"u8.ToArray());

    private sealed class Recorder : IFeedListener
    {
        public List<long> Seqs { get; } = [];

        public void OnEvent(HubEvent stored) => Seqs.Add(stored.Seq);
    }

    private sealed class Machinery : IFeedListener
    {
        public void OnEvent(HubEvent stored)
        {
        }

        public bool IsSubscriber => false;
    }

    [Fact]
    public void The_hubs_own_listeners_are_not_counted_as_subscribers()
    {
        var feed = new EventFeed();
        feed.Listen(EventFilter.All, new Machinery());
        feed.Listen(new EventFilter(["a"], null), new Machinery());
        feed.Listen(new EventFilter(["b"], null), new Recorder());

        var stats = feed.GetStats();

        Assert.Equal(1, stats.Total);
        Assert.Equal(new Dictionary<string, int> { ["b"] = 1 }, stats.ListenersByTask);
    }

    [Fact]
    public void A_one_shot_listener_gets_the_matching_events_of_one_batch_and_then_leaves_the_feed()
    {
        var feed = new EventFeed();
        var once = Enumerable.Range(0, 1000).Select(_ => new Recorder()).ToList();
        foreach (var recorder in once)
        {
            feed.ListenOnce(new EventFilter(["a"], null), recorder);
        }
        var steady = new Recorder();
        using var steadyRegistration = feed.Listen(new EventFilter(["a"], null), steady);

        feed.Publish([Event(1, "b"), Event(2, "a"), Event(3, "a")]);
        feed.Publish([Event(4, "a")]);

        Assert.All(once, recorder => Assert.Equal([2L, 3L], recorder.Seqs));
        Assert.Equal([2L, 3L, 4L], steady.Seqs);
        Assert.Equal(1, feed.GetStats().ListenersByTask["a"]);
    }

    [Fact]
    public void A_one_shot_listener_is_not_used_up_by_events_at_or_below_its_cursor()
    {
        // A trailing feed hands out seqs the poll's caller has read already from the store.
        var feed = new EventFeed();
        var once = new Recorder();
        using var registration = feed.ListenOnce(new EventFilter(["a"], null), once, after: 2);

        feed.Publish([Event(1, "a"), Event(2, "a")]);
        Assert.Equal(1, feed.GetStats().Total);
        feed.Publish([Event(3, "a"), Event(4, "a")]);
        feed.Publish([Event(5, "a")]);

        Assert.Equal([3L, 4L], once.Seqs);
        Assert.Equal(0, feed.GetStats().Total);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("a", "a")]
    [InlineData("a", "b")]
    public void A_filters_task_set_behaves_as_a_set_of_ordinal_strings(params string[] tasks)
    {
        var set = new EventFilter(tasks, null).Tasks!;
        var expected = new HashSet<string>(tasks, StringComparer.Ordinal);
        string[][] others = [[], ["a"], ["A"], ["a", "b"], ["b"], ["a", "a"], ["a", "b", "c"]];

        Assert.Equal(expected.Count, set.Count);
        Assert.Equal(expected.Order(), set.Order());
        Assert.True(set.Contains("a"));
        Assert.False(set.Contains("A"));
        foreach (var other in others)
        {
            Assert.Equal(expected.SetEquals(other), set.SetEquals(other));
            Assert.Equal(expected.Overlaps(other), set.Overlaps(other));
            Assert.Equal(expected.IsSubsetOf(other), set.IsSubsetOf(other));
            Assert.Equal(expected.IsSupersetOf(other), set.IsSupersetOf(other));
            Assert.Equal(expected.IsProperSubsetOf(other), set.IsProperSubsetOf(other));
            Assert.Equal(expected.IsProperSupersetOf(other), set.IsProperSupersetOf(other));
        }
    }

    [Fact]
    public void A_one_shot_listener_of_several_tasks_leaves_every_list_it_was_in()
    {
        var feed = new EventFeed();
        var once = new Recorder();
        var registration = feed.ListenOnce(new EventFilter(["a", "b", "c"], null), once);
        var all = new Recorder();
        feed.ListenOnce(EventFilter.All, all);

        feed.Publish([Event(1, "b")]);
        feed.Publish([Event(2, "a"), Event(3, "c")]);
        registration.Dispose(); // after it fired: a no-op

        Assert.Equal([1L], once.Seqs);
        Assert.Equal([1L], all.Seqs);
        Assert.Equal(0, feed.GetStats().Total);
    }

    [Fact]
    public void A_one_shot_listener_that_never_fired_leaves_when_disposed_and_types_still_filter()
    {
        var feed = new EventFeed();
        var once = new Recorder();
        var registration = feed.ListenOnce(new EventFilter(["a"], ["wanted"]), once);

        feed.Publish([Event(1, "a", "other")]);
        Assert.Equal(1, feed.GetStats().Total);
        registration.Dispose();
        feed.Publish([Event(2, "a", "wanted")]);

        Assert.Empty(once.Seqs);
        Assert.Equal(0, feed.GetStats().Total);
    }

    [Fact]
    public void One_shot_listeners_that_park_again_after_each_batch_get_each_event_once()
    {
        // Parked polls park again right after their answer; some time out (disposed) instead, some follow two tasks.
        var feed = new EventFeed();
        var pollers = Enumerable.Range(0, 300).Select(_ => new Recorder()).ToList();
        var registrations = new FeedRegistration[pollers.Count];
        for (var i = 0; i < pollers.Count; i++)
        {
            registrations[i] = feed.ListenOnce(new EventFilter(i % 3 == 0 ? ["a", "b"] : ["a"], null), pollers[i]);
        }
        for (var seq = 1; seq <= 20; seq++)
        {
            feed.Publish([Event(seq, seq % 2 == 0 ? "a" : "b")]);
            for (var i = 0; i < pollers.Count; i++)
            {
                var fired = pollers[i].Seqs.Count > 0 && pollers[i].Seqs[^1] == seq;
                if (!fired && i % 10 != seq % 10)
                {
                    continue; // still parked
                }
                registrations[i].Dispose(); // timed out without firing, or a no-op after firing
                registrations[i] = feed.ListenOnce(new EventFilter(i % 3 == 0 ? ["a", "b"] : ["a"], null), pollers[i]);
            }
        }

        for (var i = 0; i < pollers.Count; i++)
        {
            var expected = Enumerable.Range(1, 20).Select(seq => (long)seq).Where(seq => i % 3 == 0 || seq % 2 == 0);
            Assert.Equal(expected, pollers[i].Seqs);
        }
        Assert.Equal(new Dictionary<string, int> { ["a"] = 300, ["b"] = 100 }, feed.GetStats().ListenersByTask);
        foreach (var registration in registrations)
        {
            registration.Dispose();
        }
        Assert.Equal(0, feed.GetStats().Total);
    }
}
