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
    public async Task WebSocket_fan_out_delivers_every_event_to_every_subscriber()
    {
        var output = await RunAgainstHubAsync(url => ["ws", url, "20", "20", "2"]);
        Assert.Matches(@"published (\d+), deliveries (\d+) of \2 expected", output);
        Assert.Contains("result lost=0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idle_subscribers_are_measured_and_still_live()
    {
        // The tool finds the hub's process from its listening port and reads its memory from /proc.
        var output = await RunAgainstHubAsync(url => ["idle", url, "50", "--settle", "0"]);
        Assert.Matches(@"VmRSS [\d,]+ KB → [\d,]+ KB", output);
        Assert.Contains("then one event: delivered to 50 of 50", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_parked_long_poll_wakes_up_in_every_round()
    {
        var output = await RunAgainstHubAsync(url => ["longpoll", url, "30", "2"]);
        Assert.Contains("30 parked long-polls, 2 rounds; lost 0, duplicates 0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publishing_and_batches_are_all_accepted()
    {
        Assert.Contains("failures=0", await RunAgainstHubAsync(url => ["publish", "--url", url, "--clients", "4", "--events", "300", "--warmup-seconds", "1"]), StringComparison.Ordinal);
        Assert.Contains("failures=0", await RunAgainstHubAsync(url => ["batch", "--url", url, "--clients", "2", "--events", "2000", "--batch", "100", "--warmup-seconds", "0"]), StringComparison.Ordinal);
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
