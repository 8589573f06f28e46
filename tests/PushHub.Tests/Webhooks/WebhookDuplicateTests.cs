using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Webhooks;

public sealed class WebhookDuplicateTests
{
    [Fact]
    public async Task A_healthy_endpoint_gets_each_event_once()
    {
        await using var harness = await WebhookHarness.StartAsync();
        await harness.RegisterAsync();
        var seqs = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            seqs.AddRange(await harness.Client.PublishBatchAsync("build-1", 500, "task.heartbeat", new JsonObject()));
        }
        await WebhookReceiver.WaitForAsync(
            () => harness.Receiver.Received.Select(d => d.Headers["webhook-id"]).Distinct().Count() == seqs.Count, "every event");

        // At least once allows a resend after a crash or a failed attempt; with none, each event goes out once.
        var ids = harness.Receiver.Received.Select(d => d.Headers["webhook-id"]).ToList();
        Assert.Equal(seqs.Select(seq => $"evt_{seq}").Order(), ids.Order());
    }
}
