using System.Net;
using System.Text;

namespace PushHub.Tests.Bench;

/// <summary>
/// The bare Kestrel endpoint, the benchmark's calibration column: it must take what the publish scenarios send
/// and answer 202 with nothing else, or its rate would not be the platform's limit for the same requests.
/// </summary>
public sealed class BareKestrelTests
{
    [Fact]
    public async Task A_post_of_any_size_is_answered_202_with_an_empty_body()
    {
        using var bare = await BareKestrelProcess.StartAsync();
        using var client = bare.CreateClient();
        foreach (var size in new[] { 0, 100, 200_000 })
        {
            using var content = new StringContent(new string('x', size), Encoding.UTF8, "application/json");
            using var response = await client.PostAsync("/events", content);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }
        // It is not a hub: nothing to subscribe to.
        using var get = await client.GetAsync("/events/sse?task=t");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }

    [Fact]
    public async Task Publish_and_batch_scenarios_run_against_it_without_a_failure()
    {
        using var bare = await BareKestrelProcess.StartAsync();
        var url = bare.Address.ToString().TrimEnd('/');
        var (publishExit, publish) = await BenchTool.RunAsync("publish", "--url", url, "--clients", "4", "--events", "300", "--warmup-seconds", "0", "--target", "bare");
        Assert.True(publishExit == 0, publish);
        Assert.Contains("target=bare Kestrel clients=4 batch=1 events=300 failures=0", publish, StringComparison.Ordinal);
        var (batchExit, batch) = await BenchTool.RunAsync("batch", "--url", url, "--clients", "2", "--events", "2000", "--batch", "100", "--warmup-seconds", "0", "--target", "bare");
        Assert.True(batchExit == 0, batch);
        Assert.Contains("target=bare Kestrel clients=2 batch=100 events=2000 failures=0", batch, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribing_scenarios_refuse_it_with_the_reason()
    {
        // Refused before it connects anywhere (nobody listens on the discard port).
        var (exitCode, output) = await BenchTool.RunAsync("steady", "http://127.0.0.1:9", "4", "2", "10", "1", "--target", "bare");
        Assert.Equal(2, exitCode);
        Assert.Contains("the bare Kestrel endpoint only answers publishes", output, StringComparison.Ordinal);
    }
}
