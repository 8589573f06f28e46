using System.Diagnostics;
using System.Net;

namespace PushHub.Tests.Infrastructure;

/// <summary>
/// The hub as a real process (the same PushHub.dll the tests reference), on loopback, so a test can kill it
/// hard — no clean shutdown, no flush — and start it again on the same database.
/// </summary>
public sealed class HubProcess : IDisposable
{
    private readonly Process _process;
    private readonly OutputTail _output = new();

    private HubProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>The hub's process id (for <c>/proc/&lt;pid&gt;/status</c>).</summary>
    public int ProcessId => _process.Id;

    public static Task<HubProcess> StartAsync(string databasePath, params string[] extraArgs) =>
        StartAsync(databasePath, _ => extraArgs);

    /// <summary>Starts the hub with arguments that may name its plain-HTTP address (e.g. in <c>Kestrel:Endpoints</c>).</summary>
    public static Task<HubProcess> StartAsync(string databasePath, Func<Uri, string[]> extraArgsFor) =>
        StartAsync(databasePath, extraArgsFor, environment: null);

    /// <summary>As above, with environment variables for the process (e.g. the runtime's <c>DOTNET_</c> GC settings).</summary>
    public static async Task<HubProcess> StartAsync(string databasePath, Func<Uri, string[]> extraArgsFor, IReadOnlyDictionary<string, string>? environment)
    {
        var port = TestPorts.Free();
        var address = new Uri($"http://127.0.0.1:{port}");
        var extraArgs = extraArgsFor(address);
        var dll = Path.Combine(AppContext.BaseDirectory, "PushHub.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(databasePath)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        var storage = TestStorage.Settings(databasePath).SelectMany(setting => new[] { "--" + setting.Key, setting.Value! });
        foreach (var arg in new[] { dll, "--urls", address.ToString(), "--Storage:Path", databasePath }.Concat(storage).Concat(extraArgs))
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info)!;
        var hub = new HubProcess(process, address);
        hub._output.Attach(process);
        await hub.WaitUntilReadyAsync();
        return hub;
    }

    /// <summary>The hub's last lines of output (its log), for a failure message.</summary>
    public string Output => _output.ToString();


    public HttpClient CreateClient() => new() { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>SIGKILL: the process gets no chance to flush or shut down.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    private async Task WaitUntilReadyAsync()
    {
        using var client = CreateClient();
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The hub exited with code {_process.ExitCode} before it was ready.");
            }
            try
            {
                using var response = await client.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The hub did not become ready within 30 s.");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
