using PushHub.Tests.Webhooks;

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

    [Fact]
    public async Task Steady_load_over_many_tasks_delivers_every_event_once_and_in_seq_order()
    {
        // 12 subscribers over 4 tasks (3 each), 20 events/s over the tasks for 2 s, after a 1 s warm-up.
        var output = await RunAgainstHubAsync(url => ["steady", url, "12", "4", "20", "2", "--warmup-seconds", "1"]);
        Assert.Matches(@"published 40 of 40, deliveries 120 of 120 expected", output);
        Assert.Contains("result lost=0", output, StringComparison.Ordinal);
        Assert.Contains("result duplicates=0", output, StringComparison.Ordinal);
        Assert.Contains("result out of seq order=0", output, StringComparison.Ordinal);
        // The slowest events are named, each with all three of its task's subscribers.
        Assert.Matches(@"n=\d+ task \d at [\d.]+ s: [\d.]+ / [\d.]+ ms over 3 subscribers", output);
    }

    [NodeFact]
    public async Task Steady_load_with_a_webhook_also_delivers_every_event_to_the_receiver()
    {
        var output = await RunAgainstHubAsync(url => ["steady", url, "6", "3", "20", "1", "--webhook", "on"],
            "--Webhooks:AllowPrivateNetworks", "true");
        Assert.Contains("published 20 of 20, deliveries 40 of 40 expected", output, StringComparison.Ordinal);
        // The receiver checked every signature against the secret the load generator registered.
        Assert.Contains("webhook: 20 of 20 events delivered, duplicates 0, rejected signatures 0", output, StringComparison.Ordinal);
    }

    [NodeFact]
    public async Task Webhook_scenario_counts_every_signed_delivery_after_its_warm_up()
    {
        var output = await RunAgainstHubAsync(url => ["webhooks", url, "250", "--batch", "100", "--warmup-events", "100"],
            "--Webhooks:AllowPrivateNetworks", "true");
        Assert.Contains("warm-up: 100 of 100 delivered", output, StringComparison.Ordinal);
        Assert.Matches(@"250 signed deliveries in [\d.]+ s \(first to last\): \d+/s; lost 0, duplicates 0, rejected signatures 0", output);
    }

    [Fact]
    public async Task Several_urls_are_refused_for_a_server_that_is_not_pushhub()
    {
        // Several URLs are a PushHub cluster's nodes; refused before anything connects (nobody listens on the discard port).
        var (exitCode, output) = await BenchTool.RunAsync("publish", "--url", "http://127.0.0.1:9,http://127.0.0.1:10", "--events", "1", "--target", "nchan");
        Assert.Equal(2, exitCode);
        Assert.Contains("several URLs are a PushHub cluster's nodes", output, StringComparison.Ordinal);
    }

    private static Task<string> RunAgainstHubAsync(Func<string, string[]> arguments, params string[] hubArguments) =>
        BenchTool.RunAgainstHubAsync(arguments, hubArguments);
}
