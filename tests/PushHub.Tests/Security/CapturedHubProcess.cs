using System.Diagnostics;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Security;

/// <summary>The hub as a real process whose output and exit code are kept, for what the in-memory test server does not do (binding, refusing to start, header limits).</summary>
public sealed class CapturedHubProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private CapturedHubProcess(Process process, string dataDirectory)
    {
        _process = process;
        DataDirectory = dataDirectory;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public string DataDirectory { get; }

    /// <summary>Starts <c>PushHub.dll</c> from the repository root with its own database and the given arguments.</summary>
    public static CapturedHubProcess Start(params string[] arguments)
    {
        var data = TestPaths.NewTempDirectory();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "PushHub.dll"), "--Storage:Path", Path.Combine(data, "hub.db"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestPaths.RepositoryRoot,
        };
        return new CapturedHubProcess(Process.Start(start)!, data);
    }

    /// <summary>Waits for the process to exit; null when it is still running after <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Everything the process wrote, once it has exited.</summary>
    public async Task<string> OutputAsync() => await _stdout + await _stderr;

    /// <summary>Waits until <c>/health/live</c> answers through <paramref name="client"/>.</summary>
    public static async Task WaitUntilLiveAsync(HttpClient client)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            try
            {
                using var response = await client.GetAsync("/health/live");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        Assert.Fail("the hub did not come up");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
        TestPaths.TryDelete(DataDirectory);
    }
}
