using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Browser;

/// <summary>
/// A real browser (Debian's Chromium, driven by Playwright) on <c>wwwroot/realtime-test.html</c>, which follows a
/// task over EventSource, a plain WebSocket and the SignalR JavaScript client.
/// </summary>
public sealed class BrowserTests() : LiveHubTest(new Dictionary<string, string?>
{
    ["Sse:RetryMilliseconds"] = "200",
    // A small queue, so that one large batch overflows every stream's live queue and each falls back to the store.
    ["Hub:SubscriberQueueBytes"] = "65536",
})
{
    private static readonly string[] s_transports = ["sse", "ws", "signalr"];

    [ChromiumFact]
    public async Task Browser_gets_every_event_over_EventSource_WebSocket_and_SignalR_also_through_a_batch_larger_than_their_queues()
    {
        var published = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            published.Add(await Client.PublishSeqAsync("browser", "task.progress", new { percent = i }));
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(Hub.BaseAddress, "/realtime-test.html?task=browser").ToString());
        await WaitForAllAsync(page, published.Count);

        // One batch far larger than the subscriber queue (about 300 KB): every transport catches up from the store.
        published.AddRange(await Client.PublishBatchAsync("browser", 1000, "task.progress",
            new JsonObject { ["percent"] = 50, ["message"] = new string('m', 200) }, Timeout.Token));
        for (var i = 0; i < 5; i++)
        {
            published.Add(await Client.PublishSeqAsync("browser", "task.progress", new { percent = 90 + i }));
        }
        await WaitForAllAsync(page, published.Count);

        foreach (var transport in s_transports)
        {
            Assert.Equal(published, await page.EvaluateAsync<long[]>($"() => window.received.{transport}"));
            Assert.Equal(1, await page.EvaluateAsync<int>($"() => window.opened.{transport}"));
        }
        Assert.True(Hub.Factory.Services.GetRequiredService<PushHub.Hub.SubscriberCounters>().CatchUps >= 3, "not every stream fell back to the store");
    }

    [ChromiumFact]
    public async Task After_the_connections_drop_every_transport_reconnects_and_resumes_without_gap_or_duplicate()
    {
        var published = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            published.Add(await Client.PublishSeqAsync("drop", "task.progress", new { percent = i }));
        }
        // The browser reaches the hub through a proxy that can cut every connection while the hub keeps running.
        await using var proxy = new CuttableProxy(Hub.BaseAddress);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(proxy.Address, "/realtime-test.html?task=drop").ToString());
        await WaitForAllAsync(page, published.Count);

        // The network drops; events are published while the browser is away (or already reconnecting).
        proxy.CutAll();
        for (var i = 0; i < 5; i++)
        {
            published.Add(await Client.PublishSeqAsync("drop", "task.progress", new { percent = 10 + i }));
        }
        try
        {
            await page.WaitForFunctionAsync("() => ['sse', 'ws', 'signalr'].every(t => window.opened[t] >= 2)", null,
                new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 50 });
        }
        catch (TimeoutException exception)
        {
            // Say which transport did not come back (seen once in CI, not reproduced): the bare timeout does not.
            var opened = await page.EvaluateAsync<string>("() => JSON.stringify(window.opened)");
            var steps = await page.EvaluateAsync<string>("() => window.steps.signalr.join('; ')");
            throw new TimeoutException($"not every transport reopened within 60 s after the cut; opened: {opened}; SignalR's steps (ms since load): {steps}", exception);
        }
        // The marker: an event published after every transport is back; once each has it, nothing else is on its way.
        published.Add(await Client.PublishSeqAsync("drop", "task.completed"));
        await WaitForAllAsync(page, published.Count);

        foreach (var transport in s_transports)
        {
            Assert.Equal(published, await page.EvaluateAsync<long[]>($"() => window.received.{transport}"));
            Assert.Equal(2, await page.EvaluateAsync<int>($"() => window.opened.{transport}"));
        }
        // EventSource resumed by itself, from the last id it had before the drop.
        var resumed = proxy.Sent.SelectMany(RequestHeads).Where(head => head.StartsWith("GET /events/sse?", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, resumed.Count);
        Assert.DoesNotContain("Last-Event-ID", resumed[0], StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"\r\nlast-event-id: {published[2]}\r\n", resumed[1], StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The request heads in what a client sent on one connection (keep-alive: one or more requests).</summary>
    private static IEnumerable<string> RequestHeads(string sent) =>
        System.Text.RegularExpressions.Regex.Matches(sent, @"(?:GET|POST) /[^ ]* HTTP/1\.1\r\n(?:[^\r]+\r\n)*\r\n").Select(match => match.Value);

    private static Task<IBrowser> LaunchAsync(IPlaywright playwright) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });

    private static Task WaitForAllAsync(IPage page, int count) =>
        page.WaitForFunctionAsync(
            "n => ['sse', 'ws', 'signalr'].every(t => window.received[t].length >= n)",
            count,
            new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 50 });
}
