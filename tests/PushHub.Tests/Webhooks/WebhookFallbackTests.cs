using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using PushHub.Storage;
using PushHub.Tests.Infrastructure;
using PushHub.Webhooks;

namespace PushHub.Tests.Webhooks;

/// <summary>The dispatcher and the store's fallbacks together: a failing destination hands its events to another one.</summary>
public sealed class WebhookFallbackTests
{
    [SmtpFact]
    public async Task A_destination_that_always_fails_hands_its_event_to_an_email_fallback_after_its_after()
    {
        await using var smtp = await SmtpReceiver.StartAsync();
        await using var harness = await WebhookHarness.StartAsync(EmailSettings(smtp.Port));
        harness.Receiver.Respond = AlwaysFail;
        // The on-call list hears of no task of its own: only what is handed over.
        var email = await RegisterAsync(harness.Client, """{"url":"mailto:oncall@example.com","format":"email","task_id":"nothing-else"}""");
        var (primary, _) = await harness.RegisterAsync($$$"""
            "task_id":"deploy-*","fallback":{"webhook_id":"{{{email}}}","after":"00:01:00"}
            """);

        var seq = await harness.Client.PublishSeqAsync("deploy-42", "task.failed", new { error = "health check timed out" });
        await harness.WaitForAttemptsAsync(primary, 1);
        Assert.Empty(smtp.Received());
        harness.Time.Advance(TimeSpan.FromMinutes(1));

        await WebhookReceiver.WaitForAsync(() => smtp.Received().Count == 1, "the fallback's email",
            () => harness.Time.Advance(TimeSpan.FromMilliseconds(10)));
        var received = Assert.Single(smtp.Received());
        Assert.Equal(["oncall@example.com"], received.EnvelopeTo);
        Assert.Equal("deploy-42 failed: health check timed out", received.Message.Subject);
        Assert.Contains("deploy-42 failed: health check timed out", received.Message.TextBody, StringComparison.Ordinal);
        Assert.Contains("https://push.example.com/#/tasks/deploy-42", received.Message.TextBody, StringComparison.Ordinal);
        var emailLog = await WaitForOutcomeAsync(harness, email, "succeeded");
        Assert.Equal(["succeeded", "fallback"], emailLog.Select(a => a!["outcome"]!.GetValue<string>()));
        Assert.All(emailLog, a => Assert.Equal(seq, a!["seq"]!.GetValue<long>()));
        Assert.Contains($"handed over from webhook {primary}", emailLog[1]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        var handedOver = Assert.Single(await harness.AttemptsAsync(primary), a => a!["outcome"]!.GetValue<string>() == "fallback")!;
        Assert.Equal(seq, handedOver["seq"]!.GetValue<long>());
        Assert.Contains($"handed to fallback webhook {email}", handedOver["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [SmtpFact]
    public async Task A_destination_that_always_fails_hands_its_event_to_an_email_fallback_when_it_dead_letters()
    {
        await using var smtp = await SmtpReceiver.StartAsync();
        var settings = EmailSettings(smtp.Port);
        // Failures must use up the retries rather than open the circuit, which would defer them instead.
        settings["Webhooks:CircuitMinimumThroughput"] = "1000";
        for (var i = 0; i < 9; i++)
        {
            settings[$"Webhooks:RetrySchedule:{i}"] = "00:00:01"; // appsettings.json lists nine
        }
        await using var harness = await WebhookHarness.StartAsync(settings);
        harness.Receiver.Respond = AlwaysFail;
        var email = await RegisterAsync(harness.Client, """{"url":"mailto:oncall@example.com,lead@example.org","format":"email","task_id":"nothing-else"}""");
        var (primary, _) = await harness.RegisterAsync($$$"""
            "task_id":"deploy-*","fallback":{"webhook_id":"{{{email}}}"}
            """);

        var seq = await harness.Client.PublishSeqAsync("deploy-7", "task.failed", new { error = "out of memory" });
        await WebhookReceiver.WaitForAsync(() => smtp.Received().Count == 1, "the fallback's email after the dead letter",
            () => harness.Time.Advance(TimeSpan.FromMilliseconds(500)));

        var deadLetter = Assert.Single(await harness.DeadLettersAsync(primary))!;
        Assert.Equal(seq, deadLetter["seq"]!.GetValue<long>());
        Assert.Equal(10, harness.Receiver.Count); // the first attempt and nine retries, all refused
        var received = Assert.Single(smtp.Received());
        Assert.Equal(["oncall@example.com", "lead@example.org"], received.EnvelopeTo);
        Assert.Equal("deploy-7 failed: out of memory", received.Message.Subject);
        Assert.Contains("deploy-7 failed: out of memory", received.Message.TextBody, StringComparison.Ordinal);
        var primaryLog = (await harness.AttemptsAsync(primary)).Select(a => a!["outcome"]!.GetValue<string>()).ToList();
        Assert.Equal(["fallback", "dead_letter"], primaryLog[..2]);
        Assert.Equal(Enumerable.Repeat("failed", 9), primaryLog[2..]);
        var emailLog = await WaitForOutcomeAsync(harness, email, "succeeded");
        Assert.Equal(["succeeded", "fallback"], emailLog.Select(a => a!["outcome"]!.GetValue<string>()));
        Assert.Contains("dead letter", emailLog[1]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, (await harness.Hub.Services.GetRequiredService<IWebhookStore>().CountAsync()).PendingDeliveries);
    }

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

    [Fact]
    public async Task A_disabled_primarys_pending_delivery_still_goes_to_the_fallback_after_its_after()
    {
        await using var harness = await WebhookHarness.StartAsync();
        harness.Receiver.Respond = AlwaysFail;
        await using var backup = await WebhookReceiver.StartAsync();
        var backupId = await RegisterAsync(harness.Client, $$$"""{"url":"{{{backup.Url}}}","task_id":"nothing-else"}""");
        var (primary, _) = await harness.RegisterAsync($$$""" "fallback":{"webhook_id":"{{{backupId}}}","after":"00:10:00"} """);

        var seq = await harness.Client.PublishSeqAsync("build-1", "task.failed");
        await harness.WaitForAttemptsAsync(primary, 1);
        using var disabled = await harness.Client.PatchAsync($"/webhooks/{primary}", HubClient.Json("""{"enabled":false}"""));
        Assert.Equal(System.Net.HttpStatusCode.OK, disabled.StatusCode);
        harness.Time.Advance(TimeSpan.FromMinutes(10));

        await WebhookReceiver.WaitForAsync(() => backup.Count == 1, "the disabled primary's event at the fallback",
            () => harness.Time.Advance(TimeSpan.FromMilliseconds(10)));
        Assert.Equal($"evt_{seq}", backup.Received[0].Headers["webhook-id"]);
        Assert.Equal(["fallback", "failed"], (await harness.AttemptsAsync(primary)).Select(a => a!["outcome"]!.GetValue<string>()));
        Assert.Equal(1, harness.Receiver.Count); // disabled: not tried again
    }

    [Fact]
    public async Task Only_the_node_holding_the_fallback_lease_hands_overdue_deliveries_over()
    {
        var leases = new OtherNodeHoldsFallbacks();
        var time = new FakeTimeProvider(WebhookHarness.Start);
        await using var primary = await WebhookReceiver.StartAsync();
        primary.Respond = AlwaysFail;
        await using var backup = await WebhookReceiver.StartAsync();
        using var factory = new HubFactory(new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" }, time);
        using var hub = factory.WithWebHostBuilder(builder =>
            builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<IClusterLeases>(leases))));
        using var client = hub.CreateClient();
        var backupId = await RegisterAsync(client, $$$"""{"url":"{{{backup.Url}}}","task_id":"nothing-else"}""");
        var primaryId = await RegisterAsync(client, $$$"""{"url":"{{{primary.Url}}}","fallback":{"webhook_id":"{{{backupId}}}","after":"00:01:00"}}""");

        await client.PublishSeqAsync("build-1", "task.failed");
        await WebhookReceiver.WaitForAsync(() => primary.Count == 1, "the primary's first attempt");
        time.Advance(TimeSpan.FromMinutes(1));
        var asked = leases.Asked;
        // Three refusals after the clock moved: at least two whole passes of the loop saw the delivery overdue, and skipped it.
        await WebhookReceiver.WaitForAsync(() => leases.Asked >= asked + 3, "the dispatcher asking for the fallback lease",
            () => time.Advance(TimeSpan.FromSeconds(1)));
        Assert.Equal(0, backup.Count);
        Assert.DoesNotContain(JsonNode.Parse(await client.GetStringAsync($"/webhooks/{primaryId}/deliveries"))!["deliveries"]!.AsArray(),
            a => a!["outcome"]!.GetValue<string>() == "fallback");

        leases.Held = true; // the other node went away
        await WebhookReceiver.WaitForAsync(() => backup.Count == 1, "the delivery to the fallback", () => time.Advance(TimeSpan.FromMilliseconds(10)));
    }

    /// <summary>The leases of a node whose peer holds <see cref="WebhookDispatcher.FallbackLease"/> until <see cref="Held"/> is set.</summary>
    private sealed class OtherNodeHoldsFallbacks : IClusterLeases
    {
        private int _asked;

        public string NodeId => "node-b";

        public volatile bool Held;

        public int Asked => Volatile.Read(ref _asked);

        public Task<bool> TryAcquireAsync(string name, TimeSpan duration, CancellationToken cancellationToken = default)
        {
            if (name != WebhookDispatcher.FallbackLease)
            {
                return Task.FromResult(true);
            }
            Interlocked.Increment(ref _asked);
            return Task.FromResult(Held);
        }

        public Task ReleaseAsync(string name, CancellationToken cancellationToken = default) => Task.CompletedTask;
    }

    private static Task AlwaysFail(int number, Microsoft.AspNetCore.Http.HttpContext context)
    {
        context.Response.StatusCode = 500; // the primary destination is down
        return Task.CompletedTask;
    }

    private static Dictionary<string, string?> EmailSettings(int port) => new()
    {
        ["Email:Smtp:Host"] = "127.0.0.1",
        ["Email:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Email:Smtp:Security"] = "None",
        ["Email:From"] = "PushHub <pushhub@example.com>",
        ["Hub:PublicUrl"] = "https://push.example.com",
    };

    private static async Task<string> RegisterAsync(HttpClient client, string body)
    {
        using var response = await client.PostAsync("/webhooks", HubClient.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"expected 201, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["id"]!.GetValue<string>();
    }

    /// <summary>The attempt log once its newest line has <paramref name="outcome"/>.</summary>
    private static async Task<JsonArray> WaitForOutcomeAsync(WebhookHarness harness, string webhookId, string outcome)
    {
        JsonArray log = [];
        await WebhookReceiver.WaitForAsync(() => (log = harness.AttemptsAsync(webhookId).Result) is [{ } newest, ..]
            && newest["outcome"]!.GetValue<string>() == outcome, $"'{outcome}' in the attempt log of {webhookId}");
        return log;
    }

    private static WebhookRecord Record(string id, string url) => new() { Id = id, Url = url, Secret = WebhookSigner.NewSecret() };
}
