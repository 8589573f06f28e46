using PushHub.Storage;

namespace PushHub.Tests.Storage.Specs;

/// <summary>Outcomes resolved together (<see cref="IWebhookStore.ResolveManyAsync"/>), as the dispatcher records them.</summary>
public abstract partial class WebhookStoreSpec
{
    [SpecFact]
    public async Task Outcomes_resolved_together_are_each_checked_against_their_own_claim()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        await AppendBatchAsync("a", 4);
        var now = Time.GetUtcNow();
        var claim = (await Webhooks.ClaimDueAsync("wh_1", now, Lease, 3)).Deliveries;
        // The second delivery's claim is lost: given back, then claimed by another node, which holds it now.
        Assert.True(await Webhooks.ResolveAsync(claim[1], null, new DeliveryResolution.Release()));
        var taken = (await (await SecondNodeAsync()).Webhooks.ClaimDueAsync("wh_1", now, Lease, 1)).Deliveries.Single();
        var at = now.AddSeconds(30);

        var held = await Webhooks.ResolveManyAsync(
        [
            new(claim[0], Attempt(claim[0], "succeeded", 200), new DeliveryResolution.Delivered()),
            new(claim[1], Attempt(claim[1], "succeeded", 200), new DeliveryResolution.Delivered()),
            new(claim[2], Attempt(claim[2], "failed", 500, at), new DeliveryResolution.Retry(at, SpendsAttempt: true)),
            new(claim[0], Attempt(claim[0], "succeeded", 200), new DeliveryResolution.Delivered()), // resolved just above
        ]);

        Assert.Equal(claim[1].Seq, taken.Seq);
        Assert.Equal([true, false, true, false], held);
        // Only the outcomes whose claims held are logged; the lost one left the other node's claim as it was.
        Assert.Equal([(claim[2].Seq, "failed"), (claim[0].Seq, "succeeded")],
            (await Webhooks.ListAttemptsAsync("wh_1", 10)).Select(a => (a.Seq, a.Outcome)));
        Assert.Equal(3, (await Webhooks.CountAsync()).PendingDeliveries);
        Assert.True(await (await SecondNodeAsync()).Webhooks.ResolveAsync(taken, null, new DeliveryResolution.Delivered()));
        // The retried delivery comes back at its time, the same seq (so the same webhook-id) with one attempt spent.
        var retried = (await Webhooks.ClaimDueAsync("wh_1", at, Lease, 10)).Deliveries;
        Assert.Equal([(claim[2].Seq + 1, 0), (claim[2].Seq, 1)], retried.Select(d => (d.Seq, d.Attempts))); // by due time
        Assert.Equal(500, retried[1].LastStatus);
    }

    [SpecFact]
    public async Task Outcomes_resolved_together_apply_in_order_with_dead_letters_and_releases_among_them()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        await Webhooks.CreateAsync(Webhook("wh_2"));
        await AppendBatchAsync("a", 3);
        var claim1 = (await Webhooks.ClaimDueAsync("wh_1", Time.GetUtcNow(), Lease, 10)).Deliveries;
        var claim2 = (await Webhooks.ClaimDueAsync("wh_2", Time.GetUtcNow(), Lease, 10)).Deliveries;

        var held = await Webhooks.ResolveManyAsync(
        [
            new(claim1[0], Attempt(claim1[0], "succeeded", 200), new DeliveryResolution.Delivered()),
            new(claim2[0], null, new DeliveryResolution.Release()),
            new(claim1[1], Attempt(claim1[1], "dead_letter", 400), new DeliveryResolution.DeadLetter("a permanent failure")),
            new(claim2[1], Attempt(claim2[1], "succeeded", 200), new DeliveryResolution.Delivered()),
            new(claim1[2], Attempt(claim1[2], "gone", 410), new DeliveryResolution.Disable("the endpoint answered 410 Gone")),
            new(claim2[2], Attempt(claim2[2], "lost"), new DeliveryResolution.Discard("the event is gone")),
        ]);

        Assert.Equal([true, true, true, true, true, true], held);
        Assert.Equal(["gone", "dead_letter", "succeeded"], (await Webhooks.ListAttemptsAsync("wh_1", 10)).Select(a => a.Outcome));
        Assert.Equal(["lost", "succeeded"], (await Webhooks.ListAttemptsAsync("wh_2", 10)).Select(a => a.Outcome));
        Assert.Equal([claim1[2].Seq, claim1[1].Seq], (await Webhooks.ListDeadLettersAsync(["wh_1"], 10)).Select(d => d.Seq));
        Assert.Empty(await Webhooks.ListDeadLettersAsync(["wh_2"], 10));
        Assert.False((await Webhooks.GetAsync("wh_1"))!.Enabled);
        Assert.Equal([claim2[0].Seq], await ClaimedSeqsAsync("wh_2")); // the released one, due again at once
        Assert.Empty(await Webhooks.ResolveManyAsync([]));
    }
}
