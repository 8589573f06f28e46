using System.Diagnostics;
using System.Net;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Webhooks;

/// <summary>The hub as a separate process (the PushHub.dll built beside the tests), so a test can kill it hard.</summary>
public sealed class HubProcess : IDisposable
{
    private readonly Process _process;

    private HubProcess(Process process, Uri address)
    {
        _process = process;
        Client = new HttpClient { BaseAddress = address };
    }

    public HttpClient Client { get; }

    public static async Task<HubProcess> StartAsync(string databasePath)
    {
        var port = TestPorts.Free();
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = TestPaths.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PushHub.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["Storage__Path"] = databasePath;
        start.Environment["Webhooks__AllowPrivateNetworks"] = "true";
        start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var hub = new HubProcess(process, new Uri($"http://127.0.0.1:{port}"));
        await WebhookReceiver.WaitForAsync(hub.IsReady, "the hub process to become ready");
        return hub;
    }

    /// <summary>SIGKILL: no shutdown, no flush beyond what was committed.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }
        _process.Dispose();
        Client.Dispose();
    }

    private bool IsReady()
    {
        Assert.False(_process.HasExited, $"the hub process exited with {(_process.HasExited ? _process.ExitCode : 0)}");
        try
        {
            using var response = Client.GetAsync("/health/ready").GetAwaiter().GetResult();
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
