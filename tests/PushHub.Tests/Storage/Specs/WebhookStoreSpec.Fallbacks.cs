using PushHub.Hub;
using PushHub.Storage;

namespace PushHub.Tests.Storage.Specs;

public abstract partial class WebhookStoreSpec
{
    [SpecFact]
    public async Task A_coalescing_webhook_is_handed_only_the_newest_pending_progress_of_each_task()
    {
        await Webhooks.CreateAsync(Webhook("wh_chat") with { CoalesceProgress = true });
        await Webhooks.CreateAsync(Webhook("wh_plain"));
        await Events.AppendAsync([
            Input("a", EventTypes.Progress), // 1: superseded by 2, then 4
            Input("a", EventTypes.Progress), // 2
            Input("b", EventTypes.Progress), // 3
            Input("a", EventTypes.Progress), // 4
            Input("a", EventTypes.Completed), // 5: not progress, kept
        ]);

        var claim = await Webhooks.ClaimDueAsync("wh_chat", Time.GetUtcNow(), Lease, 10);

        Assert.Equal([3L, 4L, 5L], claim.Deliveries.Select(d => d.Seq));
        Assert.Equal(2, claim.Coalesced);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], await ClaimedSeqsAsync("wh_plain"));
    }

    [SpecFact]
    public async Task A_dead_letter_hands_its_event_to_the_fallback_once_with_a_line_in_both_logs()
    {
        await Webhooks.CreateAsync(Webhook("wh_backup"));
        await Webhooks.CreateAsync(Webhook("wh_main", "build-1") with { FallbackWebhookId = "wh_backup" });
        var stored = await AppendAsync("build-1", "task.failed");
        await ClaimedSeqsAsync("wh_backup"); // wh_backup's own delivery of it, out of the way
        var claimed = await ClaimOneAsync("wh_main");
        await ResolveAsync(claimed, new DeliveryResolution.DeadLetter("failed 10 attempts"));

        var handed = await ClaimOneAsync("wh_backup");
        Assert.Equal(stored.Seq, handed.Seq);
        Assert.Equal("wh_main", handed.FallbackFrom);
        Assert.Equal(Text(stored.Json), Text(handed.Json!.Value));
        Assert.Equal(stored.Timestamp, handed.EventTimestamp);
        Assert.Equal(0, handed.Attempts);
        Assert.Equal(["fallback", "dead_letter"], (await Webhooks.ListAttemptsAsync("wh_main", 10)).Select(a => a.Outcome));
        Assert.Equal(["fallback"], (await Webhooks.ListAttemptsAsync("wh_backup", 10)).Select(a => a.Outcome));

        // Replayed and given up on again, it is not handed over a second time.
        var dead = Assert.Single(await Webhooks.ListDeadLettersAsync(["wh_main"], 10));
        Assert.Equal(1, await Webhooks.ReplayDeadLettersAsync(dead.Id, null));
        var replayed = await ClaimOneAsync("wh_main");
        await ResolveAsync(replayed, new DeliveryResolution.DeadLetter("failed again"));
        Assert.Empty(await ClaimedSeqsAsync("wh_backup"));
    }

    [SpecFact]
    public async Task Disabling_hands_every_pending_delivery_to_the_fallback()
    {
        await Webhooks.CreateAsync(Webhook("wh_backup", "nothing-else"));
        await Webhooks.CreateAsync(Webhook("wh_main") with { FallbackWebhookId = "wh_backup" });
        await AppendBatchAsync("a", 3);
        var claimed = await ClaimOneAsync("wh_main");

        await ResolveAsync(claimed, new DeliveryResolution.Disable("the endpoint answered 410 Gone"));

        var handed = (await Webhooks.ClaimDueAsync("wh_backup", Time.GetUtcNow(), Lease, 10)).Deliveries;
        Assert.Equal([1L, 2L, 3L], handed.Select(d => d.Seq));
        Assert.All(handed, d => Assert.Equal("wh_main", d.FallbackFrom));
        Assert.Equal(3, (await Webhooks.ListDeadLettersAsync(["wh_main"], 10)).Count);
    }

    [SpecFact]
    public async Task An_overdue_delivery_is_handed_to_the_fallback_once_and_stays_pending_itself()
    {
        await Webhooks.CreateAsync(Webhook("wh_backup", "nothing-else"));
        await Webhooks.CreateAsync(Webhook("wh_main") with { FallbackWebhookId = "wh_backup", FallbackAfter = TimeSpan.FromMinutes(5) });
        await Webhooks.CreateAsync(Webhook("wh_no_after") with { FallbackWebhookId = "wh_backup" });
        var stored = await AppendAsync("a");

        Assert.Equal(0, await Webhooks.EnqueueOverdueFallbacksAsync(Start.AddMinutes(5).AddMilliseconds(-1)));
        Assert.Equal(1, await Webhooks.EnqueueOverdueFallbacksAsync(Start.AddMinutes(5)));
        Assert.Equal(0, await Webhooks.EnqueueOverdueFallbacksAsync(Start.AddMinutes(30)));

        Time.Advance(TimeSpan.FromMinutes(5));
        var handed = await ClaimOneAsync("wh_backup");
        Assert.Equal(stored.Seq, handed.Seq);
        Assert.Equal("wh_main", handed.FallbackFrom);
        Assert.Equal([stored.Seq], await ClaimedSeqsAsync("wh_main"));
        Assert.Equal(["fallback"], (await Webhooks.ListAttemptsAsync("wh_main", 10)).Select(a => a.Outcome));
        Assert.Equal(["fallback"], (await Webhooks.ListAttemptsAsync("wh_backup", 10)).Select(a => a.Outcome));
    }

    [SpecFact]
    public async Task A_disabled_webhooks_pending_delivery_is_still_handed_to_the_fallback_after_its_after()
    {
        await Webhooks.CreateAsync(Webhook("wh_backup", "nothing-else"));
        await Webhooks.CreateAsync(Webhook("wh_main", "a") with { FallbackWebhookId = "wh_backup", FallbackAfter = TimeSpan.FromMinutes(5) });
        var stored = await AppendAsync("a", data: """{"n":1}""");
        await Webhooks.UpdateAsync("wh_main", webhook => webhook with { Enabled = false, DisabledReason = "disabled through the API" });
        await AppendAsync("b");
        Assert.Equal(1, await Events.PruneAsync(1, DateTimeOffset.MinValue)); // the event itself goes; the delivery keeps a copy

        Assert.Equal(0, await Webhooks.EnqueueOverdueFallbacksAsync(Start.AddMinutes(4)));
        Assert.Equal(1, await Webhooks.EnqueueOverdueFallbacksAsync(Start.AddMinutes(5)));
        Assert.Equal(0, await Webhooks.EnqueueOverdueFallbacksAsync(Start.AddMinutes(10)));

        Time.Advance(TimeSpan.FromMinutes(5));
        var handed = await ClaimOneAsync("wh_backup");
        Assert.Equal((stored.Seq, "wh_main"), (handed.Seq, handed.FallbackFrom));
        Assert.Equal(Text(stored.Json), Text(handed.Json!.Value));
        Assert.Equal(["fallback"], (await Webhooks.ListAttemptsAsync("wh_main", 10)).Select(a => a.Outcome));
        Assert.Equal(["fallback"], (await Webhooks.ListAttemptsAsync("wh_backup", 10)).Select(a => a.Outcome));
    }

    [SpecFact]
    public async Task A_handed_over_delivery_is_never_handed_straight_back_to_where_it_came_from()
    {
        // The API refuses this cycle; the store must not bounce an event for ever should one be stored anyway.
        await Webhooks.CreateAsync(Webhook("wh_a", "a") with { FallbackWebhookId = "wh_b" });
        await Webhooks.CreateAsync(Webhook("wh_b", "nothing-else") with { FallbackWebhookId = "wh_a" });
        var stored = await AppendAsync("a");
        await ResolveAsync(await ClaimOneAsync("wh_a"), new DeliveryResolution.DeadLetter("given up"));

        var handed = await ClaimOneAsync("wh_b");
        await ResolveAsync(handed, new DeliveryResolution.DeadLetter("given up too"));

        Assert.Equal((stored.Seq, "wh_a"), (handed.Seq, handed.FallbackFrom));
        Assert.Empty(await ClaimedSeqsAsync("wh_a"));
        Assert.Equal(["fallback", "dead_letter"], (await Webhooks.ListAttemptsAsync("wh_a", 10)).Select(a => a.Outcome));
        Assert.Equal(["dead_letter", "fallback"], (await Webhooks.ListAttemptsAsync("wh_b", 10)).Select(a => a.Outcome));
    }

    [SpecFact]
    public async Task Replay_enqueues_the_stored_events_that_match_the_webhook_with_fresh_attempts()
    {
        await AppendAsync("build-1", "task.started");   // 1
        await AppendAsync("build-2", "task.completed"); // 2
        await AppendAsync("deploy-1", "task.completed"); // 3
        await AppendAsync("build-3", "task.completed"); // 4
        await AppendAsync("build-4", "task.completed"); // 5
        await Webhooks.CreateAsync(Webhook("wh_builds", "build-*", ["task.completed"]));

        Assert.Equal(2, await Webhooks.ReplayAsync("wh_builds", 1, 4));
        Assert.Equal(0, await Webhooks.ReplayAsync("wh_missing", 0, null));

        var claim = (await Webhooks.ClaimDueAsync("wh_builds", Time.GetUtcNow(), Lease, 10)).Deliveries;
        Assert.Equal([2L, 4L], claim.Select(d => d.Seq));
        Assert.All(claim, d => Assert.Equal(0, d.Attempts));
        Assert.Equal(3, await Webhooks.ReplayAsync("wh_builds", 0, null));
    }

    [SpecFact]
    public async Task Dead_letters_keep_their_event_through_retention_and_replay_or_delete()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        await Webhooks.CreateAsync(Webhook("wh_2", "b"));
        var first = await AppendAsync("a", data: """{"n":1}""");
        var second = await AppendAsync("b", data: """{"n":2}""");
        foreach (var claimed in (await Webhooks.ClaimDueAsync("wh_1", Time.GetUtcNow(), Lease, 10)).Deliveries)
        {
            await ResolveAsync(claimed, new DeliveryResolution.DeadLetter("given up"));
        }
        await ResolveAsync(await ClaimOneAsync("wh_2"), new DeliveryResolution.DeadLetter("given up"));
        await AppendAsync("c");
        Assert.Equal(2, await Events.PruneAsync(1, DateTimeOffset.MinValue));
        Assert.True(await Webhooks.ResolveAsync(await ClaimOneAsync("wh_1"), null, new DeliveryResolution.Delivered())); // seq 3, out of the way

        var all = await Webhooks.ListDeadLettersAsync(null, 10);
        Assert.Equal([("wh_2", 2L), ("wh_1", 2L), ("wh_1", 1L)], all.Select(d => (d.WebhookId, d.Seq)));
        Assert.Equal([("wh_2", 2L)], (await Webhooks.ListDeadLettersAsync(null, 1)).Select(d => (d.WebhookId, d.Seq)));
        Assert.Equal(2, (await Webhooks.ListDeadLettersAsync(["wh_1"], 10)).Count);
        Assert.Empty(await Webhooks.ListDeadLettersAsync([], 10));
        Assert.Null(await Webhooks.GetDeadLetterAsync(all.Max(d => d.Id) + 1));

        var oneOfWh1 = all.Single(d => d.WebhookId == "wh_1" && d.Seq == 1);
        Assert.Equal(1, await Webhooks.ReplayDeadLettersAsync(oneOfWh1.Id, null));
        Assert.Equal(0, await Webhooks.ReplayDeadLettersAsync(oneOfWh1.Id, null));
        var replayed = await ClaimOneAsync("wh_1");
        Assert.Equal(Text(first.Json), Text(replayed.Json!.Value)); // from its own copy: the event itself is gone
        Assert.Equal(0, replayed.Attempts);

        Assert.Equal(1, await Webhooks.ReplayDeadLettersAsync(null, "wh_1"));
        Assert.Equal(Text(second.Json), Text((await ClaimOneAsync("wh_1")).Json!.Value));
        var left = Assert.Single(await Webhooks.ListDeadLettersAsync(null, 10));
        Assert.True(await Webhooks.DeleteDeadLetterAsync(left.Id));
        Assert.False(await Webhooks.DeleteDeadLetterAsync(left.Id));
        Assert.Empty(await Webhooks.ListDeadLettersAsync(null, 10));
    }

    [SpecFact]
    public async Task The_attempt_log_is_newest_first_and_capped()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        for (var i = 0; i < WebhookRecord.MaxAttemptLog + 5; i++)
        {
            await Webhooks.AppendAttemptAsync(new DeliveryAttemptRecord("wh_1", i, 1, "test", 200, 1, null, null, Start.AddSeconds(i), null));
        }

        var log = await Webhooks.ListAttemptsAsync("wh_1", WebhookRecord.MaxAttemptLog * 2);
        var newest = await Webhooks.ListAttemptsAsync("wh_1", 3);

        Assert.Equal(Enumerable.Range(5, WebhookRecord.MaxAttemptLog).Reverse().Select(i => (long)i), log.Select(a => a.Seq));
        Assert.Equal([1004L, 1003L, 1002L], newest.Select(a => a.Seq));
        Assert.Equal(new DeliveryAttemptRecord("wh_1", 1004, 1, "test", 200, 1, null, null, Start.AddSeconds(1004), null), newest[0]);
        Assert.Empty(await Webhooks.ListAttemptsAsync("wh_missing", 10));
    }

    private async Task ResolveAsync(ClaimedDelivery delivery, DeliveryResolution resolution)
    {
        var outcome = resolution is DeliveryResolution.Disable ? "gone" : "dead_letter";
        Assert.True(await Webhooks.ResolveAsync(delivery, Attempt(delivery, outcome), resolution));
    }
}
