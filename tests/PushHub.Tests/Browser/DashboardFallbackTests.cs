using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Browser;

/// <summary>The webhook form's fallback picker: the other webhooks to choose from, and what the hub stores.</summary>
public sealed class DashboardFallbackTests() : LiveHubTest(new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" })
{
    [ChromiumFact]
    public async Task A_webhook_registered_with_a_fallback_from_the_picker_is_stored_with_it()
    {
        using var created = await Client.PostAsync("/webhooks", HubClient.Json(
            """{"url":"https://example.com/backup","task_id":"nothing-else","description":"on-call"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var backup = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        await using var session = await DashboardSession.OpenAsync(Hub.BaseAddress);
        var page = session.Page;
        await session.GotoAsync("#/webhooks");

        var picker = page.GetByLabel("Fallback webhook");
        await Assertions.Expect(picker.Locator($"option[value='{backup}']")).ToHaveTextAsync("standard · https://example.com/backup");
        await page.GetByLabel("URL", new() { Exact = true }).FillAsync("https://example.com/primary");
        await picker.SelectOptionAsync(backup);
        await page.GetByLabel("Fall back after (hh:mm:ss)").FillAsync("00:05:00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register webhook" }).ClickAsync();
        await Assertions.Expect(page.Locator("tr[data-webhook]")).ToHaveCountAsync(2);

        var primary = JsonNode.Parse(await Client.GetStringAsync("/webhooks"))!["webhooks"]!.AsArray()
            .Single(w => w!["id"]!.GetValue<string>() != backup)!;
        Assert.Equal(backup, primary["fallback"]!["webhook_id"]!.GetValue<string>());
        Assert.Equal("00:05:00", primary["fallback"]!["after"]!.GetValue<string>());
        // Its page says where its events go.
        await session.GotoAsync($"#/webhooks/{primary["id"]!.GetValue<string>()}");
        await Assertions.Expect(page.Locator("dd", new() { HasText = backup })).ToContainTextAsync($"{backup} after 00:05:00");
        await session.ScreenshotAsync("webhook-fallback");
        Assert.Empty(session.Errors);
    }
}
