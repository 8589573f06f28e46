using System.Diagnostics;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Bench;

/// <summary>
/// Small runs of the load generator against a real hub process, so the benchmark cannot rot. They check that
/// everything was delivered and nothing failed; speed is the benchmark's business, not the tests'.
/// </summary>
public sealed class LoadGeneratorSmokeTests
{
    [Fact]
    public async Task Sse_fan_out_delivers_every_event_to_every_subscriber()
    {
        var output = await RunAgainstHubAsync(url => ["sse", url, "20", "20", "2"]);
        Assert.Matches(@"published (\d+), deliveries (\d+) of \2 expected", output);
    }

    [Fact]
    public async Task Publishing_and_batches_are_all_accepted()
    {
        Assert.Contains("failures=0", await RunAgainstHubAsync(url => ["publish", "--url", url, "--clients", "4", "--events", "300"]), StringComparison.Ordinal);
        Assert.Contains("failures=0", await RunAgainstHubAsync(url => ["batch", "--url", url, "--clients", "2", "--events", "2000", "--batch", "100"]), StringComparison.Ordinal);
    }

    private static async Task<string> RunAgainstHubAsync(Func<string, string[]> arguments)
    {
        var directory = TestPaths.NewTempDirectory();
        try
        {
            using var hub = await HubProcess.StartAsync(Path.Combine(directory, "pushhub.db"));
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PushHub.Bench.dll"));
            foreach (var argument in arguments(hub.Address.ToString().TrimEnd('/')))
            {
                start.ArgumentList.Add(argument);
            }
            using var bench = Process.Start(start)!;
            var stdout = bench.StandardOutput.ReadToEndAsync();
            var stderr = bench.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await bench.WaitForExitAsync(timeout.Token);
            var output = await stdout + await stderr;
            Assert.True(bench.ExitCode == 0, $"the load generator exited with {bench.ExitCode}:\n{output}");
            return output;
        }
        finally
        {
            TestPaths.TryDelete(directory);
        }
    }
}
