using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Webhooks;

public sealed class WebhookCircuitTests
{
    [Fact]
    public async Task An_open_circuit_defers_deliveries_without_spending_their_attempts()
    {
        await using var harness = await WebhookHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Webhooks:CircuitMinimumThroughput"] = "2",
            ["Webhooks:CircuitFailureRatio"] = "0.5",
            ["Webhooks:MaxConcurrentPerEndpoint"] = "1",
        });
        harness.Receiver.Respond = (_, context) =>
        {
            context.Response.StatusCode = 500;
            return Task.CompletedTask;
        };
        var (id, _) = await harness.RegisterAsync();
        for (var i = 0; i < 6; i++)
        {
            await harness.Client.PublishSeqAsync("t1", "task.heartbeat");
        }

        var attempts = await harness.WaitForAttemptsAsync(id, 6);
        var deferred = attempts.Where(a => a!["outcome"]!.GetValue<string>() == "deferred").ToList();
        Assert.NotEmpty(deferred);
        // Deferred deliveries never reached the receiver, and their next attempt is still their first.
        Assert.Equal(6 - deferred.Count, harness.Receiver.Count);
        Assert.All(deferred, a => Assert.Equal(1, a!["attempt"]!.GetValue<int>()));
        Assert.All(deferred, a => Assert.Contains("circuit open", a!["error"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Empty(await harness.DeadLettersAsync(id));
    }
}
