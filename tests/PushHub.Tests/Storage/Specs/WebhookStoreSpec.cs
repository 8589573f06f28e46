using System.Collections.Concurrent;
using PushHub.Storage;

namespace PushHub.Tests.Storage.Specs;

/// <summary>
/// The contract of <see cref="IWebhookStore"/> every provider must pass: webhooks, enqueueing on append, claims under
/// leases, resolutions (this file), coalescing and fallbacks, replay, dead letters and the attempt log (partial files).
/// </summary>
public abstract partial class WebhookStoreSpec : StorageSpec
{
    protected static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    [SpecFact]
    public async Task A_webhook_is_stored_with_every_field_and_listed_newest_first()
    {
        var full = Webhook("wh_full", "build-*", ["task.failed", "task.completed"]) with
        {
            Format = "slack",
            OptionsJson = """{"channel":"#ci","token":"xoxb-secret"}""",
            Template = "{{ task_id }} {{ type }}",
            FallbackWebhookId = "wh_other",
            FallbackAfter = TimeSpan.FromMinutes(5),
            CoalesceProgress = true,
            Description = "CI",
            PreviousSecret = "an-older-secret",
            PreviousSecretUntil = Start.AddHours(24),
        };
        var created = await Webhooks.CreateAsync(full);
        Time.Advance(TimeSpan.FromSeconds(1));
        await Webhooks.CreateAsync(Webhook("wh_newer"));

        var fetched = await Webhooks.GetAsync("wh_full");

        Assert.Equal(full with { CreatedAt = Start, UpdatedAt = Start, Types = null }, created with { Types = null });
        Assert.NotNull(fetched);
        Assert.Equal(created with { Types = null }, fetched with { Types = null });
        Assert.Equal(["task.failed", "task.completed"], fetched.Types);
        Assert.Null(await Webhooks.GetAsync("wh_missing"));
        Assert.Equal(["wh_newer", "wh_full"], (await Webhooks.ListAsync()).Select(w => w.Id));
        Assert.Equal(["wh_newer", "wh_full"], (await Webhooks.ListEnabledAsync()).Select(w => w.Id));
    }

    [SpecFact]
    public async Task An_update_is_one_atomic_step()
    {
        await Webhooks.CreateAsync(Webhook("wh_1") with { Description = "0" });
        Time.Advance(TimeSpan.FromSeconds(5));

        // Twenty read-modify-writes at once: none is lost.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() =>
            Webhooks.UpdateAsync("wh_1", webhook => webhook with { Description = (int.Parse(webhook.Description!) + 1).ToString() }))));
        var unchanged = await Webhooks.UpdateAsync("wh_1", _ => null);
        var missing = await Webhooks.UpdateAsync("wh_missing", webhook => webhook with { Description = "x" });

        var stored = await Webhooks.GetAsync("wh_1");
        Assert.Equal("20", stored!.Description);
        Assert.Equal(Start, stored.CreatedAt);
        Assert.Equal(Start.AddSeconds(5), stored.UpdatedAt);
        Assert.Equal(stored, unchanged);
        Assert.Null(missing);
    }

    [SpecFact]
    public async Task Deleting_a_webhook_removes_its_deliveries_attempt_log_and_dead_letters()
    {
        await Webhooks.CreateAsync(Webhook("wh_gone"));
        await Webhooks.CreateAsync(Webhook("wh_kept"));
        await AppendBatchAsync("a", 2);
        var claimed = (await Webhooks.ClaimDueAsync("wh_gone", Time.GetUtcNow(), Lease, 1)).Deliveries.Single();
        await Webhooks.ResolveAsync(claimed, Attempt(claimed, "dead_letter"), new DeliveryResolution.DeadLetter("given up"));

        Assert.True(await Webhooks.DeleteAsync("wh_gone"));
        Assert.False(await Webhooks.DeleteAsync("wh_gone"));
        await AppendAsync("a");

        Assert.Null(await Webhooks.GetAsync("wh_gone"));
        Assert.Empty(await Webhooks.ListAttemptsAsync("wh_gone", 100));
        Assert.Empty(await Webhooks.ListDeadLettersAsync(null, 100));
        Assert.Empty((await Webhooks.ClaimDueAsync("wh_gone", Time.GetUtcNow(), Lease, 10)).Deliveries);
        Assert.Equal(new WebhookCounts(1, 3, 0), await Webhooks.CountAsync()); // wh_kept's three
        Assert.False(await Webhooks.ResolveAsync(claimed, null, new DeliveryResolution.Delivered()));
    }

    [SpecFact]
    public async Task An_append_enqueues_one_delivery_for_each_enabled_webhook_it_matches()
    {
        await Webhooks.CreateAsync(Webhook("wh_all"));
        await Webhooks.CreateAsync(Webhook("wh_builds", "build-*"));
        await Webhooks.CreateAsync(Webhook("wh_deploy", "deploy-1"));
        await Webhooks.CreateAsync(Webhook("wh_completed", types: ["task.completed"]));
        await Webhooks.CreateAsync(Webhook("wh_off"));
        await Webhooks.UpdateAsync("wh_off", webhook => webhook with { Enabled = false });

        await Events.AppendAsync([Input("build-1", "task.started"), Input("deploy-1", "task.completed"), Input("deploy-10", "task.started")]);
        await AppendAsync("build-2", "task.completed");

        Assert.Equal([1L, 2L, 3L, 4L], await ClaimedSeqsAsync("wh_all"));
        Assert.Equal([1L, 4L], await ClaimedSeqsAsync("wh_builds"));
        Assert.Equal([2L], await ClaimedSeqsAsync("wh_deploy"));
        Assert.Equal([2L, 4L], await ClaimedSeqsAsync("wh_completed"));
        Assert.Empty(await ClaimedSeqsAsync("wh_off"));
        await Webhooks.UpdateAsync("wh_off", webhook => webhook with { Enabled = true });
        Assert.Empty(await ClaimedSeqsAsync("wh_off")); // it was not enqueued while disabled
    }

    [SpecFact]
    public async Task A_claimed_delivery_is_not_claimed_again_until_its_lease_ends_and_then_only_the_new_claim_resolves_it()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        var stored = await AppendAsync("a");
        var now = Time.GetUtcNow();

        var first = (await Webhooks.ClaimDueAsync("wh_1", now, Lease, 10)).Deliveries.Single();
        var again = await Webhooks.ClaimDueAsync("wh_1", now.AddSeconds(59), Lease, 10);
        var nextDue = await Webhooks.NextDueAsync();
        // Another node takes it over once the lease ends, as it would from a node that died mid-attempt.
        var taken = (await (await SecondNodeAsync()).Webhooks.ClaimDueAsync("wh_1", now + Lease, Lease, 10)).Deliveries.Single();
        var lateAnswer = await Webhooks.ResolveAsync(first, Attempt(first, "succeeded"), new DeliveryResolution.Delivered());

        Assert.Equal(stored.Seq, first.Seq);
        Assert.Equal(Text(stored.Json), Text(first.Json!.Value));
        Assert.Equal(stored.Timestamp, first.EventTimestamp);
        Assert.Equal(0, first.Attempts);
        Assert.Empty(again.Deliveries);
        Assert.Equal(now + Lease, nextDue);
        Assert.Equal(first.Id, taken.Id);
        Assert.NotEqual(first.ClaimToken, taken.ClaimToken);
        Assert.False(lateAnswer);
        Assert.Empty(await Webhooks.ListAttemptsAsync("wh_1", 10)); // the late answer wrote nothing
        Assert.Equal(1, (await Webhooks.CountAsync()).PendingDeliveries);
        Assert.True(await Webhooks.ResolveAsync(taken, Attempt(taken, "succeeded"), new DeliveryResolution.Delivered()));
        Assert.Equal(0, (await Webhooks.CountAsync()).PendingDeliveries);
    }

    [SpecFact]
    public async Task Concurrent_claimers_never_get_the_same_delivery()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        for (var i = 0; i < 4; i++)
        {
            await AppendBatchAsync("a", 50);
        }
        var claimed = new ConcurrentBag<long>();
        IWebhookStore[] nodes = [Webhooks, (await SecondNodeAsync()).Webhooks];

        await Task.WhenAll(Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            var node = nodes[c % 2];
            while ((await node.ClaimDueAsync("wh_1", Time.GetUtcNow(), Lease, 7)).Deliveries is { Count: > 0 } deliveries)
            {
                Assert.True(claimed.Count <= 200, "a delivery was claimed again while its lease ran");
                foreach (var delivery in deliveries)
                {
                    claimed.Add(delivery.Seq);
                }
            }
        })));

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), claimed.Order());
    }

    [SpecFact]
    public async Task A_claim_hands_out_the_oldest_due_deliveries_first_and_at_most_max()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        await AppendBatchAsync("a", 5);

        var claim = await Webhooks.ClaimDueAsync("wh_1", Time.GetUtcNow(), Lease, 3);

        Assert.Equal([1L, 2L, 3L], claim.Deliveries.Select(d => d.Seq));
        Assert.All(claim.Deliveries, d => Assert.Equal("wh_1", d.WebhookId));
        Assert.Empty((await Webhooks.ClaimDueAsync("wh_missing", Time.GetUtcNow(), Lease, 3)).Deliveries);
    }

    [SpecFact]
    public async Task A_retry_puts_the_delivery_back_until_its_time_spending_an_attempt_or_not()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        await AppendAsync("a");
        var at = Start.AddSeconds(30);

        var claimed = await ClaimOneAsync("wh_1");
        Assert.True(await Webhooks.ResolveAsync(claimed, Attempt(claimed, "failed", 500, at), new DeliveryResolution.Retry(at, SpendsAttempt: true)));
        Assert.Empty((await Webhooks.ClaimDueAsync("wh_1", at.AddMilliseconds(-1), Lease, 10)).Deliveries);
        Assert.Equal(at, await Webhooks.NextDueAsync());
        var retried = (await Webhooks.ClaimDueAsync("wh_1", at, Lease, 10)).Deliveries.Single();
        Assert.Equal(1, retried.Attempts);
        Assert.Equal(500, retried.LastStatus);

        var deferTo = at.AddMinutes(1);
        Assert.True(await Webhooks.ResolveAsync(retried, Attempt(retried, "deferred", null, deferTo), new DeliveryResolution.Retry(deferTo, SpendsAttempt: false)));
        var deferred = (await Webhooks.ClaimDueAsync("wh_1", deferTo, Lease, 10)).Deliveries.Single();
        Assert.Equal(1, deferred.Attempts); // a deferral spends none
        Assert.Equal(500, deferred.LastStatus);

        var log = await Webhooks.ListAttemptsAsync("wh_1", 10);
        Assert.Equal(["deferred", "failed"], log.Select(a => a.Outcome));
        Assert.Equal(deferTo, log[0].NextAttemptAt);
    }

    [SpecFact]
    public async Task A_released_claim_is_due_again_at_once_and_a_discarded_one_is_gone_without_a_dead_letter()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        await AppendBatchAsync("a", 2);
        var claim = (await Webhooks.ClaimDueAsync("wh_1", Time.GetUtcNow(), Lease, 10)).Deliveries;

        Assert.True(await Webhooks.ResolveAsync(claim[0], null, new DeliveryResolution.Release()));
        Assert.True(await Webhooks.ResolveAsync(claim[1], Attempt(claim[1], "lost"), new DeliveryResolution.Discard("the event is gone")));

        var again = (await Webhooks.ClaimDueAsync("wh_1", Time.GetUtcNow(), Lease, 10)).Deliveries.Single();
        Assert.Equal(claim[0].Seq, again.Seq);
        Assert.Equal(0, again.Attempts);
        Assert.Empty(await Webhooks.ListDeadLettersAsync(null, 10));
        Assert.Equal(["lost"], (await Webhooks.ListAttemptsAsync("wh_1", 10)).Select(a => a.Outcome));
    }

    [SpecFact]
    public async Task A_dead_letter_takes_the_delivery_out_with_its_own_copy_of_the_event()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        var stored = await AppendAsync("build-1", "task.failed");
        Time.Advance(TimeSpan.FromSeconds(3));
        var claimed = await ClaimOneAsync("wh_1");
        claimed = claimed with { Attempts = 9, LastStatus = 500 }; // as a delivery on its last attempt would be

        Assert.True(await Webhooks.ResolveAsync(claimed, Attempt(claimed, "dead_letter", 503), new DeliveryResolution.DeadLetter("failed 10 attempts")));

        var dead = Assert.Single(await Webhooks.ListDeadLettersAsync(["wh_1"], 10));
        Assert.Equal(new DeadLetterRecord(dead.Id, "wh_1", stored.Seq, "build-1", "task.failed", "failed 10 attempts", 10, 503, Start.AddSeconds(3)), dead);
        Assert.Equal(dead, await Webhooks.GetDeadLetterAsync(dead.Id));
        Assert.Equal(new WebhookCounts(1, 0, 1), await Webhooks.CountAsync());
        Assert.Null(await Webhooks.NextDueAsync());
    }

    [SpecFact]
    public async Task Disabling_on_a_gone_answer_dead_letters_everything_the_webhook_has_pending()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        await Webhooks.CreateAsync(Webhook("wh_other"));
        await AppendBatchAsync("a", 3);
        var claim = (await Webhooks.ClaimDueAsync("wh_1", Time.GetUtcNow(), Lease, 2)).Deliveries;

        Assert.True(await Webhooks.ResolveAsync(claim[0], Attempt(claim[0], "gone", 410), new DeliveryResolution.Disable("the endpoint answered 410 Gone")));

        var webhook = await Webhooks.GetAsync("wh_1");
        Assert.False(webhook!.Enabled);
        Assert.Equal("the endpoint answered 410 Gone", webhook.DisabledReason);
        Assert.DoesNotContain(await Webhooks.ListEnabledAsync(), w => w.Id == "wh_1");
        var dead = await Webhooks.ListDeadLettersAsync(["wh_1"], 10);
        Assert.Equal([3L, 2L, 1L], dead.Select(d => d.Seq));
        Assert.Equal(410, dead[^1].LastStatus);
        Assert.Equal(1, dead[^1].Attempts);
        Assert.False(await Webhooks.ResolveAsync(claim[1], null, new DeliveryResolution.Delivered())); // taken out under its claim
        await AppendAsync("a");
        Assert.Equal(new WebhookCounts(1, 4, 3), await Webhooks.CountAsync()); // wh_other's four; wh_1 gets no more
    }

    [SpecFact]
    public async Task NextDue_answers_when_the_next_delivery_of_an_enabled_webhook_falls_due()
    {
        Assert.Null(await Webhooks.NextDueAsync());
        await Webhooks.CreateAsync(Webhook("wh_1"));
        Time.Advance(TimeSpan.FromSeconds(2));
        await AppendAsync("a");
        Assert.Equal(Start.AddSeconds(2), await Webhooks.NextDueAsync());

        await Webhooks.UpdateAsync("wh_1", webhook => webhook with { Enabled = false });
        Assert.Null(await Webhooks.NextDueAsync());
    }

    [SpecFact]
    public async Task Count_answers_enabled_webhooks_pending_deliveries_and_dead_letters()
    {
        Assert.Equal(new WebhookCounts(0, 0, 0), await Webhooks.CountAsync());
        await Webhooks.CreateAsync(Webhook("wh_1"));
        await Webhooks.CreateAsync(Webhook("wh_2", "b"));
        await AppendBatchAsync("a", 3);
        await AppendAsync("b");
        var claimed = await ClaimOneAsync("wh_2");
        await Webhooks.ResolveAsync(claimed, null, new DeliveryResolution.DeadLetter("given up"));
        await Webhooks.UpdateAsync("wh_1", webhook => webhook with { Enabled = false });

        Assert.Equal(new WebhookCounts(1, 4, 1), await Webhooks.CountAsync());
    }

    protected static DeliveryAttemptRecord Attempt(ClaimedDelivery delivery, string outcome, int? status = null, DateTimeOffset? next = null) =>
        new(delivery.WebhookId, delivery.Seq, delivery.Attempts + 1, outcome, status, 12.5, null, null, Start, next);

    protected async Task<ClaimedDelivery> ClaimOneAsync(string webhookId) =>
        (await Webhooks.ClaimDueAsync(webhookId, Time.GetUtcNow(), Lease, 1)).Deliveries.Single();

    /// <summary>Claims everything due for <paramref name="webhookId"/> now; answers the seqs in claim order.</summary>
    protected async Task<List<long>> ClaimedSeqsAsync(string webhookId) =>
        (await Webhooks.ClaimDueAsync(webhookId, Time.GetUtcNow(), Lease, 1000)).Deliveries.Select(d => d.Seq).ToList();
}
