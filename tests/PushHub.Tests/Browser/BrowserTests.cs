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
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
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

    private static Task WaitForAllAsync(IPage page, int count) =>
        page.WaitForFunctionAsync(
            "n => ['sse', 'ws', 'signalr'].every(t => window.received[t].length >= n)",
            count,
            new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 50 });
}
