using Microsoft.Playwright;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Security;

namespace PushHub.Tests.Browser;

/// <summary>The dashboard against a hub with API keys: it asks for a key once and then works, live updates included.</summary>
public sealed class DashboardSecurityTests() : LiveHubTest(SecuredHub.Settings(new Dictionary<string, string?> { ["Retention:MaxEvents"] = "100000" }))
{
    [ChromiumFact]
    public async Task A_secured_hub_asks_for_the_key_once_and_then_works()
    {
        using var admin = new HttpClient { BaseAddress = Hub.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", SecuredHub.AdminKey);
        await admin.PublishSeqAsync("build-5", "task.started");
        await using var session = await DashboardSession.OpenAsync(Hub.BaseAddress);
        var page = session.Page;

        await session.GotoAsync("#/tasks");
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await session.ScreenshotAsync("secured-asks-for-key");
        await dialog.GetByLabel("API key").FillAsync("not-a-key-of-this-hub");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Use key" }).ClickAsync();
        // A wrong key is refused and asked for again.
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(dialog.Locator("#key-reason")).ToContainTextAsync("The API key is not known");
        await dialog.GetByLabel("API key").FillAsync(SecuredHub.AdminKey);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Use key" }).ClickAsync();
        await Assertions.Expect(dialog).ToBeHiddenAsync();

        // Live updates work through a subscribe token (EventSource cannot send the key).
        await session.WaitUntilLiveAsync();
        var row = page.Locator("tr[data-task='build-5']");
        await Assertions.Expect(row).ToBeVisibleAsync();
        await admin.PublishSeqAsync("build-5", "task.progress", new { percent = 45 });
        await DashboardSession.WaitForProgressAsync(row, 45);
        await Assertions.Expect(page.Locator("#open-mode")).ToBeHiddenAsync();
        Assert.Equal(SecuredHub.AdminKey, await page.EvaluateAsync<string>("() => sessionStorage.getItem('pushhub.key')"));
        Assert.Null(await page.EvaluateAsync<string?>("() => localStorage.getItem('pushhub.key')"));

        // Once given, the key is not asked for again in this tab.
        await page.ReloadAsync();
        await session.WaitUntilLiveAsync();
        await Assertions.Expect(row).ToBeVisibleAsync();
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        await session.ScreenshotAsync("secured-with-key");

        // The only errors are the browser's notes on the 401 answers that made the page ask.
        Assert.All(session.Errors, error => Assert.Contains("status of 401", error, StringComparison.Ordinal));
    }

    [ChromiumFact]
    public async Task A_subscriber_key_with_a_pasted_subscribe_token_gets_live_updates()
    {
        using var admin = new HttpClient { BaseAddress = Hub.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", SecuredHub.AdminKey);
        await admin.PublishSeqAsync("build-6", "task.started");
        // A subscriber key may read but not issue tokens (POST /tokens needs a publisher): the token comes from elsewhere.
        var token = await Hub.Factory.IssueTokenAsync(SecuredHub.AdminKey, """["*"]""");
        await using var session = await DashboardSession.OpenAsync(Hub.BaseAddress);
        var page = session.Page;

        await session.GotoAsync("#/tasks");
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("API key").FillAsync(SecuredHub.ReaderAllKey);
        await dialog.GetByLabel("Subscribe token (optional)").FillAsync(token);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Use key" }).ClickAsync();

        await session.WaitUntilLiveAsync();
        var row = page.Locator("tr[data-task='build-6']");
        await admin.PublishSeqAsync("build-6", "task.progress", new { percent = 20 });
        await DashboardSession.WaitForProgressAsync(row, 20);
        Assert.All(session.Errors, error => Assert.Contains("status of 401", error, StringComparison.Ordinal));
    }
}
