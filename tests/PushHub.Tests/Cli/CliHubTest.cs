using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Cli;

/// <summary>A test class over its own live hub, with a <see cref="CliRunner"/> whose <c>PUSHHUB_URL</c> points at it.</summary>
public abstract class CliHubTest : IDisposable
{
    protected CliHubTest(IDictionary<string, string?>? settings = null)
    {
        Hub = new LiveHub(settings);
        Cli = CliRunner.For(Hub.BaseAddress);
    }

    protected LiveHub Hub { get; }

    protected CliRunner Cli { get; }

    /// <summary>A bound on every run, so that a command that never ends fails the test instead of hanging it.</summary>
    protected CancellationTokenSource Timeout { get; } = new(TimeSpan.FromSeconds(60));

    public void Dispose()
    {
        Timeout.Dispose();
        Hub.Dispose();
        GC.SuppressFinalize(this);
    }
}
