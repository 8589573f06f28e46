namespace PushHub.Tests.Infrastructure;

/// <summary>
/// A test class over its own <see cref="LiveHub"/>, with a small retention (5 events, swept only on demand) so
/// that resets can be provoked, and a bound on every wait so that a broken stream fails instead of hanging.
/// </summary>
public abstract class LiveHubTest : IDisposable
{
    protected LiveHubTest(IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Retention:MaxEvents"] = "5",
            ["Retention:Interval"] = "1.00:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        Hub = new LiveHub(all);
    }

    protected LiveHub Hub { get; }

    protected CancellationTokenSource Timeout { get; } = new(TimeSpan.FromSeconds(60));

    protected HttpClient Client => Hub.Client;

    public void Dispose()
    {
        Timeout.Dispose();
        Hub.Dispose();
        GC.SuppressFinalize(this);
    }
}
