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
            if (section == "Live events")
            {
                // The feed opens with the events committed just before the page did.
                await Assertions.Expect(page.Locator("ol.feed li")).ToHaveCountAsync(3);
                await Assertions.Expect(page.Locator("ol.feed li").First).ToHaveAttributeAsync("data-task", "deploy-1");
            }
            await session.ScreenshotAsync("section-" + section.Replace(' ', '-').ToLowerInvariant());
        }
        await Assertions.Expect(page.Locator(".stat", new() { HasText = "SSE" }).Locator(".stat-value")).ToHaveTextAsync("1");

        Assert.Empty(session.Errors);
    }

    [ChromiumFact]
    public async Task Tasks_in_flight_show_their_stored_progress_newest_first_and_filter_by_status()
    {
        (string Task, string Type, object? Data)[] steps =
        [
            ("release-2026.11", "task.progress", new { percent = 12, message = "Packaging artifacts" }),
            ("nightly-tests", "task.progress", new { percent = 87, message = "Integration suite: 412 of 470" }),
            ("db-migration-42", "task.failed", new { message = "Lock timeout on table orders" }),
            ("build-1187", "task.completed", new { message = "Artifacts published" }),
            ("image-resize-batch", "task.queued", null),
            ("build-1188", "task.progress", new { percent = 46, message = "Compiling PushHub.Tests" }),
        ];
        foreach (var (task, type, data) in steps)
        {
            await Client.PublishSeqAsync(task, "task.started");
            await Client.PublishSeqAsync(task, type, data);
            // Tasks updated in the same millisecond list by task id: the next one starts on a later millisecond.
            var answered = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            SpinWait.SpinUntil(() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() > answered);
        }
        await using var session = await DashboardSession.OpenAsync(Hub.BaseAddress);
        var page = session.Page;
        await session.GotoAsync("#/tasks");
        await session.WaitUntilLiveAsync();

        // Newest first, each bar at the task's stored percent.
        await Assertions.Expect(page.Locator("tbody tr")).ToHaveCountAsync(steps.Length);
        Assert.Equal(steps.Select(step => step.Task).Reverse(), await page.Locator("tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.task)"));
        await DashboardSession.WaitForProgressAsync(page.Locator("tr[data-task='nightly-tests']"), 87);
        await DashboardSession.WaitForProgressAsync(page.Locator("tr[data-task='build-1187']"), 100);
        await Assertions.Expect(page.Locator("tr[data-task='db-migration-42'] .badge")).ToHaveTextAsync("failed");
        // One more moves live while the picture is taken, as on a busy hub.
        await Client.PublishSeqAsync("build-1188", "task.progress", new { percent = 63, message = "Running unit tests" });
        await DashboardSession.WaitForProgressAsync(page.Locator("tr[data-task='build-1188']"), 63);
        await SaveReadmeScreenshotAsync(session);

        await page.GetByLabel("Status").SelectOptionAsync("running");
        await Assertions.Expect(page.Locator("tbody tr")).ToHaveCountAsync(3);
        Assert.Equal(["build-1188", "nightly-tests", "release-2026.11"],
            await page.Locator("tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.task)"));
        // A running task that completes leaves the running filter.
        await Client.PublishSeqAsync("nightly-tests", "task.completed");
        await Assertions.Expect(page.Locator("tbody tr")).ToHaveCountAsync(2);

        // The task page shows its timeline.
        await page.GetByRole(AriaRole.Link, new() { Name = "build-1188", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("ol.timeline li")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("ol.timeline li").Last).ToContainTextAsync("63% · Running unit tests");
        await session.ScreenshotAsync("task-timeline");

        Assert.Empty(session.Errors);
    }

    /// <summary>
    /// The README's picture: saved with the other screenshots on every run, and copied to docs/dashboard.png when
    /// PUSHHUB_UPDATE_DOCS=1, so that an ordinary test run leaves the working tree clean.
    /// </summary>
    private static async Task SaveReadmeScreenshotAsync(DashboardSession session)
    {
        Directory.CreateDirectory(DashboardSession.ScreenshotDirectory);
        var path = Path.Combine(DashboardSession.ScreenshotDirectory, "dashboard.png");
        await session.Page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        if (Environment.GetEnvironmentVariable("PUSHHUB_UPDATE_DOCS") == "1")
        {
            File.Copy(path, Path.Combine(TestPaths.RepositoryRoot, "docs", "dashboard.png"), overwrite: true);
        }
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
