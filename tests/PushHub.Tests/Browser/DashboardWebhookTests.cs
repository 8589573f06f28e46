using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Webhooks;

namespace PushHub.Tests.Browser;

/// <summary>Webhooks and dead letters managed from the dashboard, delivering to a real loopback receiver.</summary>
public sealed class DashboardWebhookTests() : LiveHubTest(Settings())
{
    private static Dictionary<string, string?> Settings()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Retention:MaxEvents"] = "100000",
            ["Webhooks:AllowPrivateNetworks"] = "true",
            // Failures must exhaust the retries rather than open the circuit, which would defer them instead.
            ["Webhooks:CircuitMinimumThroughput"] = "1000",
        };
        // Every retry a few milliseconds apart (appsettings.json lists nine), so a failing delivery is dead-lettered at once.
        for (var i = 0; i < 9; i++)
        {
            settings[$"Webhooks:RetrySchedule:{i}"] = "00:00:00.010";
        }
        return settings;
    }

    [ChromiumFact]
    public async Task A_webhook_created_in_the_dashboard_shows_its_deliveries()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var session = await DashboardSession.OpenAsync(Hub.BaseAddress);
        var page = session.Page;
        await session.GotoAsync("#/webhooks");
        await page.GetByLabel("URL", new() { Exact = true }).FillAsync(receiver.Url);
        await page.GetByLabel("Description (optional)").FillAsync("CI notifications");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register webhook" }).ClickAsync();

        // The secret is shown once, on creation.
        var secret = (await page.Locator(".secret").TextContentAsync())!;
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        var row = page.Locator("tr[data-webhook]");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        var id = (await row.GetAttributeAsync("data-webhook"))!;
        await session.ScreenshotAsync("webhook-created");

        var seq = await Client.PublishSeqAsync("build-3", "task.progress", new { percent = 10 });
        await row.GetByRole(AriaRole.Link).First.ClickAsync();
        var attempt = page.Locator($"tr[data-seq='{seq}'][data-outcome='succeeded']");
        await Assertions.Expect(attempt).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(attempt.Locator("td").Nth(3)).ToHaveTextAsync("200");
        await Assertions.Expect(attempt.Locator("td").Nth(4)).ToContainTextAsync(" ms");
        await session.ScreenshotAsync("webhook-deliveries");

        // The secret the page showed is the one deliveries are signed with.
        var delivery = Assert.Single(receiver.Received);
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, delivery.Body)), delivery.Headers["x-webhook-signature"]);

        // Replay from a seq sends the event again.
        await page.GetByLabel("Replay events after seq").FillAsync((seq - 1).ToString(CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Replay", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByText("Queued 1 delivery.")).ToBeVisibleAsync();
        await WebhookReceiver.WaitForAsync(() => receiver.Count == 2, "the replayed delivery");

        // Disabling from the page disables it in the hub.
        await page.GetByRole(AriaRole.Button, new() { Name = "Disable", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Enable", Exact = true })).ToBeVisibleAsync();
        var stored = JsonNode.Parse(await Client.GetStringAsync($"/webhooks/{id}"))!;
        Assert.False(stored["enabled"]!.GetValue<bool>());

        Assert.Empty(session.Errors);
    }

    [ChromiumFact]
    public async Task A_dead_letter_replayed_from_the_dashboard_is_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var failing = 1;
        receiver.Respond = (_, context) =>
        {
            context.Response.StatusCode = Volatile.Read(ref failing) == 1 ? 500 : 204;
            return Task.CompletedTask;
        };
        using var created = await Client.PostAsync("/webhooks", HubClient.Json($$"""{"url":"{{receiver.Url}}"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var seq = await Client.PublishSeqAsync("build-4", "task.failed", new { message = "Out of disk" });
        await WaitForDeadLettersAsync(1);

        await using var session = await DashboardSession.OpenAsync(Hub.BaseAddress);
        var page = session.Page;
        await session.GotoAsync("#/dead-letters");
        var row = page.Locator("tr[data-dead-letter]");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync($"seq {seq}");
        await Assertions.Expect(row.Locator("td").Nth(4)).ToHaveTextAsync("500");
        await row.GetByRole(AriaRole.Button, new() { Name = "Inspect" }).ClickAsync();
        await Assertions.Expect(page.Locator("section[aria-label='Selected dead letter'] pre").Last).ToContainTextAsync("Out of disk");
        await session.ScreenshotAsync("dead-letter");

        var failedAttempts = receiver.Count;
        Volatile.Write(ref failing, 0);
        await row.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();
        await Assertions.Expect(page.GetByText("queued for redelivery")).ToBeVisibleAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
        await WebhookReceiver.WaitForAsync(() => receiver.Count == failedAttempts + 1, "the replayed delivery");
        var delivered = receiver.Received[^1];
        Assert.Equal($"evt_{seq}", delivered.Headers["webhook-id"]);
        Assert.Contains("Out of disk", delivered.BodyText, StringComparison.Ordinal);
        await WaitForDeadLettersAsync(0);

        Assert.Empty(session.Errors);
    }

    [ChromiumFact]
    public async Task A_slack_webhook_made_in_the_dashboard_previews_its_template_and_sends_a_test()
    {
        await using var slack = await ServiceFakes.StartAsync();
        await using var session = await DashboardSession.OpenAsync(Hub.BaseAddress);
        var page = session.Page;
        await session.GotoAsync("#/webhooks");
        await page.GetByLabel("Format", new() { Exact = true }).SelectOptionAsync("slack");
        await page.GetByLabel("URL", new() { Exact = true }).FillAsync(slack.SlackUrl);
        await page.GetByLabel("Template (optional, Liquid)").FillAsync("Deploy *{{ task_id }}* is {{ status }} at {{ percent }} %: {{ error }}");

        // The live preview is the body Slack would get for the hub's sample event, rendered by the hub.
        var preview = page.Locator("#webhook-preview .preview-body");
        await Assertions.Expect(preview).ToContainTextAsync("\"text\": \"Deploy *build-17* is failed at 40 %: out of memory\"");
        await Assertions.Expect(preview).ToContainTextAsync("\"blocks\"");
        await session.ScreenshotAsync("slack-webhook-preview");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register webhook" }).ClickAsync();

        var row = page.Locator("tr[data-webhook]");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        var id = (await row.GetAttributeAsync("data-webhook"))!;
        // The list shows the URL with its token masked.
        await Assertions.Expect(row).ToContainTextAsync("/services/T…/B…/****");
        await Assertions.Expect(row).Not.ToContainTextAsync(slack.SlackToken);

        await row.GetByRole(AriaRole.Link).First.ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Send test", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-test-attempt='succeeded']")).ToContainTextAsync("Status 200", new() { Timeout = 30_000 });
        var sent = Assert.Single(slack.Received);
        Assert.StartsWith("/services/T0123ABCD/B0456EFGH/", sent.PathAndQuery, StringComparison.Ordinal);
        Assert.StartsWith("Deploy *pushhub-test* is completed", sent.Json["text"]!.GetValue<string>(), StringComparison.Ordinal);

        // The test send is in the webhook's attempt log, as seq 0.
        var attempt = page.Locator("tr[data-seq='0'][data-outcome='succeeded']");
        await Assertions.Expect(attempt).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(attempt.Locator("td").Nth(3)).ToHaveTextAsync("200");
        await session.ScreenshotAsync("slack-webhook-test-sent");
        var stored = JsonNode.Parse(await Client.GetStringAsync($"/webhooks/{id}"))!;
        Assert.Equal("slack", stored["format"]!.GetValue<string>());
        Assert.Contains("{{ task_id }}", stored["template"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.Empty(session.Errors);
    }

    private async Task WaitForDeadLettersAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (JsonNode.Parse(await Client.GetStringAsync("/dead-letters"))!["dead_letters"]!.AsArray().Count != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {count} dead letters");
            await Task.Delay(50);
        }
    }
}
