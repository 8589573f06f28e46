using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PushHub.Storage;
using PushHub.Tests.Infrastructure;

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
        var healthy = false;
        harness.Receiver.Respond = (_, context) =>
        {
            context.Response.StatusCode = Volatile.Read(ref healthy) ? 200 : 500;
            return Task.CompletedTask;
        };
        var (id, _) = await harness.RegisterAsync("\"task_id\":\"watched\"");
        await harness.Client.PublishSeqAsync("watched", "task.started");
        await harness.Client.PublishSeqAsync("other", "task.started");
        await harness.Client.PublishSeqAsync("other", "task.started");
        await harness.WaitForAttemptsAsync(id, 1);

        Assert.Equal(0, await SweepAsync(harness));
        Assert.Equal([1L, 2L, 3L], (await harness.Client.PollAsync("after=0")).Seqs);

        Volatile.Write(ref healthy, true);
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

    private static Task<long> SweepAsync(WebhookHarness harness) =>
        harness.Hub.Services.GetServices<IHostedService>().OfType<RetentionService>().Single().SweepAsync();
}
