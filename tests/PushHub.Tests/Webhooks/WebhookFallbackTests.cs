using Microsoft.Extensions.DependencyInjection;
using PushHub.Storage;
using PushHub.Tests.Infrastructure;
using PushHub.Webhooks;

namespace PushHub.Tests.Webhooks;

/// <summary>The dispatcher and the store's fallbacks together (the API does not take a fallback yet: the store does).</summary>
public sealed class WebhookFallbackTests
{
    [Fact]
    public async Task An_event_not_delivered_within_the_fallbacks_after_goes_to_the_fallback_with_the_same_id()
    {
        await using var harness = await WebhookHarness.StartAsync();
        harness.Receiver.Respond = (_, context) =>
        {
            context.Response.StatusCode = 500; // the primary destination is down
            return Task.CompletedTask;
        };
        await using var backup = await WebhookReceiver.StartAsync();
        var store = harness.Hub.Services.GetRequiredService<IWebhookStore>();
        await store.CreateAsync(Record("wh_backup", backup.Url) with { TaskPattern = "nothing-else" });
        await store.CreateAsync(Record("wh_primary", harness.Receiver.Url) with
        {
            FallbackWebhookId = "wh_backup",
            FallbackAfter = TimeSpan.FromMinutes(1),
        });

        var seq = await harness.Client.PublishSeqAsync("build-1", "task.failed");
        await harness.WaitForAttemptsAsync("wh_primary", 1);
        Assert.Equal(0, backup.Count);
        harness.Time.Advance(TimeSpan.FromMinutes(1));

        await WebhookReceiver.WaitForAsync(() => backup.Count == 1, "the delivery to the fallback", () => harness.Time.Advance(TimeSpan.FromMilliseconds(10)));
        var delivered = backup.Received[0];
        Assert.Equal($"evt_{seq}", delivered.Headers["webhook-id"]);
        Assert.Equal(harness.Receiver.Received[0].Body, delivered.Body);
        var backupLog = await harness.WaitForAttemptsAsync("wh_backup", 2);
        Assert.Equal(["succeeded", "fallback"], backupLog.Select(a => a!["outcome"]!.GetValue<string>()));
        Assert.Contains(await harness.AttemptsAsync("wh_primary"), a => a!["outcome"]!.GetValue<string>() == "fallback");
        // Handed over once: the fallback's delivery is done, and the primary's own keeps retrying on its schedule.
        Assert.Equal(1, (await store.CountAsync()).PendingDeliveries);
    }

    private static WebhookRecord Record(string id, string url) => new() { Id = id, Url = url, Secret = WebhookSigner.NewSecret() };
}
