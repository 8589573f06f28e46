using System.Diagnostics;
using System.Net;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Bench;

/// <summary>The bare Kestrel endpoint (bench/PushHub.BareKestrel, built beside the tests) as a process on loopback.</summary>
internal sealed class BareKestrelProcess : IDisposable
{
    private readonly Process _process;

    private BareKestrelProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<BareKestrelProcess> StartAsync()
    {
        var address = new Uri($"http://127.0.0.1:{TestPorts.Free()}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "PushHub.BareKestrel.dll"), "--urls", address.ToString() })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var bare = new BareKestrelProcess(process, address);
        using var client = bare.CreateClient();
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the bare endpoint exited with code {process.ExitCode} before it answered");
            }
            try
            {
                using var response = await client.PostAsync("/events", new StringContent("{}"));
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    return bare;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        bare.Dispose();
        throw new TimeoutException("the bare endpoint did not answer within 30 s");
    }

    public HttpClient CreateClient() => new() { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };

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
