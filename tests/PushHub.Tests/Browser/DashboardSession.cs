using Microsoft.Playwright;

namespace PushHub.Tests.Browser;

/// <summary>
/// Debian's Chromium on the dashboard at 1280x800, collecting every console error and uncaught page error, and saving
/// screenshots to <c>screenshots/</c> beside the test assembly.
/// </summary>
public sealed class DashboardSession : IAsyncDisposable
{
    /// <summary>Where screenshots go: under the test output, so every run leaves pictures of what the browser saw.</summary>
    public static readonly string ScreenshotDirectory = Path.Combine(AppContext.BaseDirectory, "screenshots");

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly List<string> _errors = [];
    private readonly Lock _gate = new();

    private DashboardSession(IPlaywright playwright, IBrowser browser, IPage page, Uri hub)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
        Hub = hub;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (_gate)
                {
                    _errors.Add($"console: {message.Text} ({message.Location})");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_gate)
            {
                _errors.Add($"page error: {error}");
            }
        };
    }

    public IPage Page { get; }

    public Uri Hub { get; }

    /// <summary>Console errors and uncaught exceptions so far.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_gate)
            {
                return [.. _errors];
            }
        }
    }

    public static async Task<DashboardSession> OpenAsync(Uri hub)
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        page.SetDefaultTimeout(30_000);
        // Confirmations (rotate, delete) are accepted: the tests act as a person who clicked OK.
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        return new DashboardSession(playwright, browser, page, hub);
    }

    /// <summary>Opens the dashboard at <paramref name="hash"/> (such as <c>#/tasks</c>).</summary>
    public async Task GotoAsync(string hash = "")
    {
        await Page.GotoAsync(new Uri(Hub, "/" + hash).ToString());
    }

    /// <summary>Waits until the live stream is open, so that events published from now on reach the page.</summary>
    public Task WaitUntilLiveAsync() =>
        Page.Locator("#live-state[data-state='live']").WaitForAsync();

    /// <summary>Waits until a progress bar inside <paramref name="scope"/> reads <paramref name="percent"/>.</summary>
    public static Task WaitForProgressAsync(ILocator scope, int percent) =>
        Assertions.Expect(scope.Locator("[role=progressbar]")).ToHaveAttributeAsync(
            "aria-valuenow", percent.ToString(System.Globalization.CultureInfo.InvariantCulture), new() { Timeout = 30_000 });

    public async Task<string> ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
