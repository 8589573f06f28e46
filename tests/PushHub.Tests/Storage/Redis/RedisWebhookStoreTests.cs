using PushHub.Storage;
using PushHub.Storage.Redis;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Storage.Specs;

namespace PushHub.Tests.Storage.Redis;

/// <summary>The webhook store's spec suite against a real Redis, with a second node on its own connection, and what
/// the Redis provider adds to it.</summary>
[RequiresRedis]
public sealed class RedisWebhookStoreTests(RedisFixture redis) : WebhookStoreSpec, IClassFixture<RedisFixture>
{
    private readonly RedisStores _stores = new(redis);

    protected override Task<StoreUnderTest> CreateStoreAsync(TimeProvider time) => _stores.CreateAsync(time);

    protected override Task<StoreUnderTest> OpenSecondNodeAsync() => _stores.OpenSecondNodeAsync();

    [RedisFact]
    public async Task Attempt_log_retention_in_several_bounded_calls_removes_every_old_line_and_no_new_one()
    {
        string[] ids = ["wh_1", "wh_2", "wh_3"];
        foreach (var id in ids)
        {
            await Webhooks.CreateAsync(Webhook(id));
            for (var i = 0; i < 7; i++)
            {
                // Five old lines, then two an hour later.
                var at = i < 5 ? Start.AddSeconds(i) : Start.AddHours(1).AddSeconds(i);
                await Webhooks.AppendAttemptAsync(new DeliveryAttemptRecord(id, i + 1, 1, "test", 200, 1, null, null, at, null));
            }
        }

        // 15 old lines, at most 4 a call: four calls.
        var removed = await ((RedisWebhookStore)Webhooks).PruneAttemptLogsAsync(Start.AddMinutes(30), chunk: 4);

        Assert.Equal(15, removed);
        foreach (var id in ids)
        {
            Assert.Equal([7L, 6L], (await Webhooks.ListAttemptsAsync(id, 100)).Select(a => a.Seq));
        }
        Assert.Equal(0, await ((RedisWebhookStore)Webhooks).PruneAttemptLogsAsync(Start.AddMinutes(30), chunk: 4));
    }

    [RedisFact]
    public async Task A_claim_hands_out_tied_deliveries_in_seq_order_not_in_the_text_order_of_their_members()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        await AppendBatchAsync("a", 25); // one millisecond: every delivery has the same due score

        var first = await ClaimedSeqsAsync("wh_1", max: 12);
        var rest = await ClaimedSeqsAsync("wh_1", max: 100);

        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), first);
        Assert.Equal(Enumerable.Range(13, 13).Select(i => (long)i), rest);
    }

    [RedisFact]
    public async Task A_change_made_on_another_node_is_seen_by_the_next_claim_and_append_here()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        await AppendAsync("a");
        Assert.Equal(["wh_1"], (await Webhooks.ListEnabledAsync()).Select(w => w.Id)); // cached here now
        var other = (await SecondNodeAsync()).Webhooks;

        await other.UpdateAsync("wh_1", webhook => webhook with { Enabled = false });
        var whileDisabled = await ClaimedSeqsAsync("wh_1");
        await other.CreateAsync(Webhook("wh_2"));
        await AppendAsync("b");
        await other.UpdateAsync("wh_1", webhook => webhook with { Enabled = true });

        Assert.Empty(whileDisabled);
        Assert.Equal([2L], await ClaimedSeqsAsync("wh_2"));
        Assert.Equal([1L], await ClaimedSeqsAsync("wh_1")); // kept while disabled; seq 2 was not enqueued for it
    }

    [RedisFact]
    public async Task A_fallback_set_on_another_node_gets_the_next_dead_letter_from_here()
    {
        await Webhooks.CreateAsync(Webhook("wh_backup", "nothing-else"));
        await Webhooks.CreateAsync(Webhook("wh_main"));
        var stored = await AppendAsync("a");
        var claimed = await ClaimOneAsync("wh_main");
        await (await SecondNodeAsync()).Webhooks.UpdateAsync("wh_main", webhook => webhook with { FallbackWebhookId = "wh_backup" });

        Assert.True(await Webhooks.ResolveAsync(claimed, null, new DeliveryResolution.DeadLetter("given up")));

        var handed = await ClaimOneAsync("wh_backup");
        Assert.Equal((stored.Seq, "wh_main"), (handed.Seq, handed.FallbackFrom));
    }

    [RedisFact]
    public async Task Disabling_gives_pending_deliveries_their_own_copy_of_the_event_before_retention_takes_it()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        var first = await AppendAsync("a", data: """{"n":"é 1"}""");
        await Webhooks.UpdateAsync("wh_1", webhook => webhook with { Enabled = false });
        await AppendAsync("a");
        Assert.Equal(1, await Events.PruneAsync(1, DateTimeOffset.MinValue));

        await Webhooks.UpdateAsync("wh_1", webhook => webhook with { Enabled = true });
        var claimed = await ClaimOneAsync("wh_1");

        Assert.Equal(first.Seq, claimed.Seq);
        Assert.Equal(Text(first.Json), Text(claimed.Json!.Value));
    }

    [RedisFact]
    public async Task A_replay_of_an_event_still_pending_replaces_that_delivery_with_fresh_attempts()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        await AppendAsync("a");
        var claimed = await ClaimOneAsync("wh_1");
        var retryAt = Start.AddMinutes(10);
        await Webhooks.ResolveAsync(claimed, null, new DeliveryResolution.Retry(retryAt, SpendsAttempt: true));

        Assert.Equal(1, await Webhooks.ReplayAsync("wh_1", 0, null));

        var replayed = await ClaimOneAsync("wh_1"); // due now, not at the retry's time
        Assert.Equal((1L, 0), (replayed.Seq, replayed.Attempts));
        Assert.Equal(1, (await Webhooks.CountAsync()).PendingDeliveries);
    }

    [RedisFact]
    public async Task Retention_of_the_attempt_logs_drops_the_lines_older_than_its_cutoff_with_the_events_retention()
    {
        await Webhooks.CreateAsync(Webhook("wh_1"));
        await Webhooks.CreateAsync(Webhook("wh_2"));
        for (var i = 0; i < 4; i++)
        {
            foreach (var id in (string[])["wh_1", "wh_2"])
            {
                await Webhooks.AppendAttemptAsync(new DeliveryAttemptRecord(id, i, 1, "test", 200, 1, null, null, Start.AddMinutes(i), null));
            }
        }

        await Events.PruneAsync(long.MaxValue, Start.AddMinutes(2)); // the event log's retention prunes them with it

        Assert.Equal([3L, 2L], (await Webhooks.ListAttemptsAsync("wh_1", 10)).Select(a => a.Seq));
        Assert.Equal([3L, 2L], (await Webhooks.ListAttemptsAsync("wh_2", 10)).Select(a => a.Seq));
    }

    private async Task<List<long>> ClaimedSeqsAsync(string webhookId, int max) =>
        (await Webhooks.ClaimDueAsync(webhookId, Time.GetUtcNow(), Lease, max)).Deliveries.Select(d => d.Seq).ToList();
}
