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

    /// <summary>
    /// Runs a scenario against <paramref name="nodes"/> fresh hub processes on one fresh Redis (cluster mode), given
    /// their addresses comma-separated; asserts that it exited 0 and returns its output.
    /// </summary>
    public static async Task<string> RunAgainstClusterAsync(Func<string, string[]> arguments, int nodes = 3, params string[] hubArguments)
    {
        await using var redis = await RedisServer.StartAsync();
        var directory = TestPaths.NewTempDirectory();
        var hubs = new List<HubProcess>();
        try
        {
            for (var node = 0; node < nodes; node++)
            {
                hubs.Add(await HubProcess.StartAsync(Path.Combine(directory, $"node-{node}.db"),
                [
                    "--Storage:Provider", "Redis",
                    "--Storage:Redis:Configuration", redis.Configuration,
                    "--Auth:TokenSigningKey", "a-bench-signing-key-of-at-least-thirty-two-chars",
                    .. hubArguments,
                ]));
            }
            var urls = string.Join(',', hubs.Select(hub => hub.Address.ToString().TrimEnd('/')));
            var (exitCode, output) = await RunAsync(arguments(urls));
            Assert.True(exitCode == 0, $"the load generator exited with {exitCode}:\n{output}");
            return output;
        }
        finally
        {
            foreach (var hub in hubs)
            {
                hub.Dispose();
            }
            TestPaths.TryDelete(directory);
        }
    }
}
