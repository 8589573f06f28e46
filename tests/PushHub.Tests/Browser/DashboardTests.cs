using Microsoft.Playwright;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Browser;

/// <summary>The dashboard at <c>/</c> in a real browser against a live hub: what a person sees and does there.</summary>
public sealed class DashboardTests() : LiveHubTest(new Dictionary<string, string?> { ["Retention:MaxEvents"] = "100000" })
{
    private static readonly string[] s_sections = ["Tasks", "Live events", "Publish", "Webhooks", "Dead letters", "Hub"];

    [ChromiumFact]
    public async Task Every_section_loads_without_console_errors()
    {
        await Client.PublishSeqAsync("build-1", "task.started");
        await Client.PublishSeqAsync("build-1", "task.progress", new { percent = 40, message = "<img src=x onerror=alert(1)>" });
        await Client.PublishSeqAsync("deploy-1", "custom.step", new { note = "a type EventSource does not listen for" });
        await using var session = await DashboardSession.OpenAsync(Hub.BaseAddress);

        await session.GotoAsync();
        await session.WaitUntilLiveAsync();
        var page = session.Page;
        await Assertions.Expect(page.Locator("tr[data-task='build-1']")).ToBeVisibleAsync();
        // Event data is shown as text, never as markup.
        await Assertions.Expect(page.Locator("tr[data-task='build-1'] .message")).ToHaveTextAsync("<img src=x onerror=alert(1)>");
        Assert.Equal(0, await page.Locator("main img").CountAsync());
        // The open hub says so.
        await Assertions.Expect(page.Locator("#open-mode")).ToBeVisibleAsync();

        foreach (var section in s_sections)
        {
            await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = section, Exact = true }).ClickAsync();
            await Assertions.Expect(page.Locator("main h1")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("main[aria-busy]")).ToHaveCountAsync(0);
            await session.ScreenshotAsync("section-" + section.Replace(' ', '-').ToLowerInvariant());
        }
        await Assertions.Expect(page.Locator(".stat", new() { HasText = "SSE" }).Locator(".stat-value")).ToHaveTextAsync("1");

        Assert.Empty(session.Errors);
    }

    [ChromiumFact]
    public async Task Publishing_through_the_API_moves_the_task_progress_bar_and_adds_to_the_live_feed()
    {
        await Client.PublishSeqAsync("build-7", "task.started");
        await using var session = await DashboardSession.OpenAsync(Hub.BaseAddress);
        await session.GotoAsync("#/tasks");
        await session.WaitUntilLiveAsync();
        var row = session.Page.Locator("tr[data-task='build-7']");
        await Assertions.Expect(row.Locator(".badge")).ToHaveTextAsync("running");

        await Client.PublishSeqAsync("build-7", "task.progress", new { percent = 30, message = "Compiling" });
        await DashboardSession.WaitForProgressAsync(row, 30);
        await Assertions.Expect(row.Locator(".message")).ToHaveTextAsync("Compiling");
        // A task the page has not seen yet appears at the top.
        await Client.PublishSeqAsync("build-8", "task.progress", new { percent = 5 });
        await DashboardSession.WaitForProgressAsync(session.Page.Locator("tbody tr").First, 5);
        var completed = await Client.PublishSeqAsync("build-7", "task.completed");
        await DashboardSession.WaitForProgressAsync(row, 100);
        await Assertions.Expect(row.Locator(".badge")).ToHaveTextAsync("completed");
        await session.ScreenshotAsync("tasks-live-progress");

        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Live events", Exact = true }).ClickAsync();
        var feed = session.Page.Locator("ol.feed");
        await Assertions.Expect(feed.Locator($"li[data-seq='{completed}']")).ToBeVisibleAsync();
        var custom = await Client.PublishSeqAsync("build-9", "custom.note", new { text = "not a well-known type" });
        await Assertions.Expect(feed.Locator("li").First).ToHaveAttributeAsync("data-seq", custom.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Pausing holds new events back; resuming shows them.
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        var held = await Client.PublishSeqAsync("build-9", "task.progress", new { percent = 60 });
        await Assertions.Expect(session.Page.Locator("main [role=status]")).ToContainTextAsync("1 new event waiting");
        await Assertions.Expect(feed.Locator($"li[data-seq='{held}']")).ToHaveCountAsync(0);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Assertions.Expect(feed.Locator($"li[data-seq='{held}']")).ToBeVisibleAsync();

        // The task filter keeps one task; a click shows the event's JSON.
        await session.Page.GetByLabel("Task", new() { Exact = true }).FillAsync("build-7");
        await Assertions.Expect(feed.Locator("li")).ToHaveCountAsync(await feed.Locator("li[data-task='build-7']").CountAsync());
        await feed.Locator($"li[data-seq='{completed}'] button").ClickAsync();
        await Assertions.Expect(session.Page.Locator(".event-detail pre")).ToContainTextAsync("\"type\": \"task.completed\"");
        await session.ScreenshotAsync("live-events");

        Assert.Empty(session.Errors);
    }
}
