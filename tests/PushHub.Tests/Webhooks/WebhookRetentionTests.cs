using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PushHub.Storage;
using PushHub.Tests.Infrastructure;
using PushHub.Webhooks;

namespace PushHub.Tests.Webhooks;

public sealed class WebhookRetentionTests
{
    private static readonly Dictionary<string, string?> s_tightRetention = new()
    {
        ["Retention:MaxEvents"] = "1",
        ["Retention:Interval"] = "1.00:00:00",
    };

    [Fact]
    public async Task Retention_keeps_every_event_a_pending_delivery_needs()
    {
        await using var harness = await WebhookHarness.StartAsync(s_tightRetention);
        var healthy = FailUntilHealed(harness.Receiver);
        var (id, _) = await harness.RegisterAsync("\"task_id\":\"watched\"");
        await harness.Client.PublishSeqAsync("watched", "task.started");
        await harness.Client.PublishSeqAsync("other", "task.started");
        await harness.Client.PublishSeqAsync("other", "task.started");
        await harness.WaitForAttemptsAsync(id, 1);

        Assert.Equal(0, await SweepAsync(harness));
        Assert.Equal([1L, 2L, 3L], (await harness.Client.PollAsync("after=0")).Seqs);

        Volatile.Write(ref healthy.Value, true);
        await harness.AdvanceToNextAttemptAsync(id);
        await harness.WaitForAttemptsAsync(id, 2);
        Assert.Equal(2, await SweepAsync(harness));
        Assert.Equal([3L], (await harness.Client.PollAsync("after=0")).Seqs);
    }

    [Fact]
    public async Task A_dead_letter_outlives_its_event_and_replays_the_same_bytes()
    {
        await using var harness = await WebhookHarness.StartAsync(new Dictionary<string, string?>(s_tightRetention));
        var gone = true;
        harness.Receiver.Respond = (_, context) =>
        {
            context.Response.StatusCode = Volatile.Read(ref gone) ? 410 : 200;
            return Task.CompletedTask;
        };
        var (id, _) = await harness.RegisterAsync();
        await harness.Client.PublishSeqAsync("t1", "task.completed");
        await WebhookReceiver.WaitForAsync(() => harness.DeadLettersAsync(id).Result.Count == 1, "the dead letter");
        var original = harness.Receiver.Received[0].Body;

        await harness.Client.PublishSeqAsync("t1", "task.heartbeat");
        Assert.Equal(1, await SweepAsync(harness));
        Assert.Equal([2L], (await harness.Client.PollAsync("after=0")).Seqs);

        Volatile.Write(ref gone, false);
        using var enable = await harness.Client.PatchAsync($"/webhooks/{id}", HubClient.Json("""{"enabled":true}"""));
        var dead = (await harness.DeadLettersAsync(id))[0]!;
        using var replay = await harness.Client.PostAsync($"/dead-letters/{dead["id"]}/replay", null);
        await WebhookReceiver.WaitForAsync(() => harness.Receiver.Received.Any(d => d.Number > 1 && d.Headers["webhook-id"] == "evt_1"),
            "the replayed dead letter");
        Assert.Equal(original, harness.Receiver.Received.First(d => d.Number > 1 && d.Headers["webhook-id"] == "evt_1").Body);
    }

    [Fact]
    public async Task A_disabled_webhook_does_not_hold_back_retention_and_delivers_its_own_copy_once_enabled()
    {
        await using var harness = await WebhookHarness.StartAsync(s_tightRetention);
        var healthy = FailUntilHealed(harness.Receiver);
        var (id, _) = await harness.RegisterAsync("\"task_id\":\"watched\"");
        await harness.Client.PublishSeqAsync("watched", "task.started", new { step = "checkout" });
        await harness.WaitForAttemptsAsync(id, 1);
        var firstBody = harness.Receiver.Received[0].Body;
        using (var disable = await harness.Client.PatchAsync($"/webhooks/{id}", HubClient.Json("""{"enabled":false}""")))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, disable.StatusCode);
        }
        await harness.Client.PublishSeqAsync("other", "task.started");
        await harness.Client.PublishSeqAsync("other", "task.started");

        // The disabled webhook's pending delivery of seq 1 no longer pins the log.
        Assert.Equal(2, await SweepAsync(harness));
        Assert.Equal([3L], (await harness.Client.PollAsync("after=0")).Seqs);

        Volatile.Write(ref healthy.Value, true);
        using (var enable = await harness.Client.PatchAsync($"/webhooks/{id}", HubClient.Json("""{"enabled":true}""")))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, enable.StatusCode);
        }
        await harness.AdvanceToNextAttemptAsync(id);
        var attempts = await harness.WaitForAttemptsAsync(id, 2);
        Assert.Equal("succeeded", attempts[0]!["outcome"]!.GetValue<string>());
        Assert.Equal(1, attempts[0]!["seq"]!.GetValue<long>());
        Assert.Equal(firstBody, harness.Receiver.Received[^1].Body);
    }

    [Fact]
    public async Task The_attempt_log_keeps_the_newest_thousand_per_webhook_and_nothing_older_than_retention()
    {
        await using var harness = await WebhookHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Retention:MaxAge"] = "01:00:00",
            ["Retention:Interval"] = "1.00:00:00",
        });
        var (id, _) = await harness.RegisterAsync();
        var data = new System.Text.Json.Nodes.JsonObject { ["percent"] = 50 };
        await harness.Client.PublishBatchAsync("build-1", 600, "task.progress", data);
        await harness.Client.PublishBatchAsync("build-1", 405, "task.progress", data);
        await WebhookReceiver.WaitForAsync(() => CountAttempts(harness, id) == 1005, "1,005 delivered attempts");

        var newestBefore = await harness.Client.GetStringAsync($"/webhooks/{id}/deliveries?limit=1000");

        await SweepAsync(harness);
        Assert.Equal(WebhookRecord.MaxAttemptLog, CountAttempts(harness, id));
        // What stays is exactly the newest thousand, the most the deliveries endpoint shows.
        Assert.Equal(newestBefore, await harness.Client.GetStringAsync($"/webhooks/{id}/deliveries?limit=1000"));

        // An hour on, the watchdog's task.stuck for build-1 is delivered too; of the attempts before, none is left.
        harness.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        await SweepAsync(harness);
        Assert.Equal(0, CountAttempts(harness, id, madeBefore: WebhookHarness.Start.AddMinutes(1)));
    }

    /// <summary>The receiver answers 500 until the returned switch is set.</summary>
    private static System.Runtime.CompilerServices.StrongBox<bool> FailUntilHealed(WebhookReceiver receiver)
    {
        var healthy = new System.Runtime.CompilerServices.StrongBox<bool>();
        receiver.Respond = (_, context) =>
        {
            context.Response.StatusCode = Volatile.Read(ref healthy.Value) ? 200 : 500;
            return Task.CompletedTask;
        };
        return healthy;
    }

    private static long CountAttempts(WebhookHarness harness, string webhookId, DateTimeOffset? madeBefore = null)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            $"Data Source={Path.Combine(harness.Hub.DataDirectory, "pushhub.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM webhook_attempts WHERE webhook_id = $id AND attempted_at < $before";
        command.Parameters.AddWithValue("$id", webhookId);
        command.Parameters.AddWithValue("$before", (madeBefore ?? DateTimeOffset.MaxValue).ToUnixTimeMilliseconds());
        return (long)command.ExecuteScalar()!;
    }

    private static Task<long> SweepAsync(WebhookHarness harness) =>
        harness.Hub.Services.GetServices<IHostedService>().OfType<RetentionService>().Single().SweepAsync();
}
