using PushHub.Storage;

namespace PushHub.Tests.Storage.Specs;

public abstract partial class EventStoreSpec
{
    private static readonly DateTimeOffset s_keepEverything = DateTimeOffset.MinValue;

    [SpecFact]
    public async Task Count_retention_removes_the_oldest_as_a_prefix_and_readers_are_told()
    {
        await AppendAsync("old", key: "k-old");
        await AppendBatchAsync("a", 9);

        var removed = await Events.PruneAsync(3, s_keepEverything);
        var fromStart = await Events.ReadPageAsync(new EventQuery(0, 100));
        var fromKept = await Events.ReadPageAsync(new EventQuery(7, 100));

        Assert.Equal(7, removed);
        Assert.Equal([8L, 9L, 10L], fromStart.Events.Select(e => e.Seq));
        Assert.Equal(8, fromStart.ResetTo);
        Assert.Null(fromKept.ResetTo);
        Assert.Equal(8, Events.FirstSeq);
        Assert.Null(await Events.GetTaskAsync("old")); // its last event is gone
        Assert.True((await Events.AppendAsync([Input("old", key: "k-old")])).Single().Created); // so is its key
        Assert.Equal(11, Events.HeadSeq); // and the sequence goes on, never reusing a removed seq
    }

    [SpecFact]
    public async Task Age_retention_removes_only_what_is_older_than_the_cutoff()
    {
        await AppendAsync("a");
        await AppendAsync("a");
        Time.Advance(TimeSpan.FromMinutes(50));
        await AppendAsync("a");
        Time.Advance(TimeSpan.FromMinutes(20));

        var removed = await Events.PruneAsync(1_000_000, Time.GetUtcNow() - TimeSpan.FromHours(1));

        Assert.Equal(2, removed);
        Assert.Equal([3L], (await ReadAllAsync()).Select(e => e.Seq));
        Assert.Equal(0, await Events.PruneAsync(1_000_000, Time.GetUtcNow() - TimeSpan.FromHours(1)));
    }

    [SpecFact]
    public async Task Retention_stops_at_the_oldest_event_a_pending_delivery_of_an_enabled_webhook_needs()
    {
        await Webhooks.CreateAsync(Webhook("wh_watch", "watched"));
        await AppendAsync("other");   // 1
        await AppendAsync("watched"); // 2: pending for wh_watch
        await AppendBatchAsync("other", 3);

        Assert.Equal(1, await Events.PruneAsync(1, s_keepEverything));
        Assert.Equal([2L, 3L, 4L, 5L], (await ReadAllAsync()).Select(e => e.Seq)); // a prefix, never a hole

        var claim = await Webhooks.ClaimDueAsync("wh_watch", Time.GetUtcNow(), TimeSpan.FromMinutes(1), 10);
        Assert.True(await Webhooks.ResolveAsync(claim.Deliveries.Single(), null, new DeliveryResolution.Delivered()));
        Assert.Equal(3, await Events.PruneAsync(1, s_keepEverything));
        Assert.Equal([5L], (await ReadAllAsync()).Select(e => e.Seq));
    }

    [SpecFact]
    public async Task A_disabled_webhooks_pending_delivery_does_not_hold_retention_back_and_keeps_its_own_copy()
    {
        await Webhooks.CreateAsync(Webhook("wh_off", "watched"));
        var original = await AppendAsync("watched", data: """{"step":"checkout"}""");
        await Webhooks.UpdateAsync("wh_off", webhook => webhook with { Enabled = false, DisabledReason = "paused" });
        await AppendBatchAsync("other", 2);

        Assert.Equal(2, await Events.PruneAsync(1, s_keepEverything));
        Assert.Equal([3L], (await ReadAllAsync()).Select(e => e.Seq));

        await Webhooks.UpdateAsync("wh_off", webhook => webhook with { Enabled = true, DisabledReason = null });
        var claimed = (await Webhooks.ClaimDueAsync("wh_off", Time.GetUtcNow(), TimeSpan.FromMinutes(1), 10)).Deliveries.Single();
        Assert.Equal(original.Seq, claimed.Seq);
        Assert.Equal(Text(original.Json), Text(claimed.Json!.Value));
    }

    [SpecFact]
    public async Task A_prune_of_more_than_one_step_removes_every_event_it_should_and_nothing_else()
    {
        // More events than any provider removes in one step (SQLite 5,000, Redis 1,000), with a pending delivery
        // that must stop the first prune part way and must not stop the second.
        await Webhooks.CreateAsync(Webhook("wh_watch", "watched"));
        await AppendManyAsync("a", 2_600);                 // 1..2600
        var watched = await AppendAsync("watched");       // 2601: pending for wh_watch
        await AppendManyAsync("b", 5_499);                 // 2602..8100
        var last = await AppendAsync("b", key: "k-last"); // 8101

        Assert.Equal(2_600, await Events.PruneAsync(1, s_keepEverything));
        Assert.Equal(watched.Seq, Events.FirstSeq);
        Assert.Null(await Events.GetTaskAsync("a"));
        Assert.NotNull(await Events.GetTaskAsync("watched"));

        var claim = await Webhooks.ClaimDueAsync("wh_watch", Time.GetUtcNow(), TimeSpan.FromMinutes(1), 10);
        Assert.True(await Webhooks.ResolveAsync(claim.Deliveries.Single(), null, new DeliveryResolution.Delivered()));
        Assert.Equal(5_491, await Events.PruneAsync(10, s_keepEverything));

        Assert.Equal(Enumerable.Range(8_092, 10).Select(seq => (long)seq), (await ReadAllAsync()).Select(e => e.Seq));
        Assert.Equal(8_092, Events.FirstSeq);
        Assert.Equal(last.Seq, Events.HeadSeq);
        Assert.Null(await Events.GetTaskAsync("watched"));
        Assert.Equal(last.Seq, (await Events.GetTaskAsync("b"))!.LastSeq);
        Assert.False((await Events.AppendAsync([Input("b", key: "k-last")])).Single().Created); // a kept event's key stays
        Assert.Equal(0, await Events.PruneAsync(11, s_keepEverything));
    }

    private async Task AppendManyAsync(string taskId, int count)
    {
        for (var done = 0; done < count; done += 500)
        {
            await AppendBatchAsync(taskId, Math.Min(500, count - done));
        }
    }
}
