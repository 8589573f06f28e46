using System.Diagnostics;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Bench;

/// <summary>Runs the load generator (the PushHub.Bench.dll built beside the tests) as a process, bounded in time.</summary>
internal static class BenchTool
{
    /// <summary>Runs it with <paramref name="arguments"/>; its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PushHub.Bench.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var bench = Process.Start(start)!;
        var stdout = bench.StandardOutput.ReadToEndAsync();
        var stderr = bench.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await bench.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!bench.HasExited)
            {
                bench.Kill(entireProcessTree: true);
            }
        }
        return (bench.ExitCode, await stdout + await stderr);
    }

    /// <summary>Runs a scenario against a fresh hub process; asserts that it exited 0 and returns its output.</summary>
    public static async Task<string> RunAgainstHubAsync(Func<string, string[]> arguments, params string[] hubArguments)
    {
        var directory = TestPaths.NewTempDirectory();
        try
        {
            using var hub = await HubProcess.StartAsync(Path.Combine(directory, "pushhub.db"), hubArguments);
            var (exitCode, output) = await RunAsync(arguments(hub.Address.ToString().TrimEnd('/')));
            Assert.True(exitCode == 0, $"the load generator exited with {exitCode}:\n{output}");
            return output;
        }
        finally
        {
            TestPaths.TryDelete(directory);
        }
    }
}
