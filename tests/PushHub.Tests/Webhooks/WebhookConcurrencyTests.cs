using System.Net;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Webhooks;

public sealed class WebhookConcurrencyTests
{
    [Fact]
    public async Task A_hanging_endpoint_holds_only_its_own_slots_and_others_still_get_every_event()
    {
        await using var harness = await WebhookHarness.StartAsync(new Dictionary<string, string?> { ["Webhooks:MaxConcurrentPerEndpoint"] = "2" });
        var release = new TaskCompletionSource();
        harness.Receiver.Respond = (_, context) => release.Task.WaitAsync(context.RequestAborted);
        await using var fast = await WebhookReceiver.StartAsync();
        try
        {
            await harness.RegisterAsync();
            string fastId;
            using (var created = await harness.Client.PostAsync("/webhooks", HubClient.Json($$"""{"url":"{{fast.Url}}"}""")))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                fastId = System.Text.Json.Nodes.JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
            }
            for (var i = 0; i < 5; i++)
            {
                await harness.Client.PublishSeqAsync("t1", "task.heartbeat");
            }

            // The dispatcher runs on the fake clock: nudge it in steps far below the attempt timeout and first retry,
            // so a wake-up that coalesced under load is still followed by its next tick.
            try
            {
                // Delivery is at least once: count distinct webhook-ids (a full run once saw one request arrive twice
                // for a single logged attempt, the HTTP client resending on a reused connection).
                await WebhookReceiver.WaitForAsync(() => fast.Received.Select(d => d.Headers["webhook-id"]).Distinct().Count() == 5,
                    "every event at the healthy endpoint", () => harness.Time.Advance(TimeSpan.FromMilliseconds(10)));
            }
            catch (Xunit.Sdk.XunitException failure)
            {
                // Say why: the healthy endpoint's attempt log (a failed attempt waits for its retry on the fake clock).
                Assert.Fail($"{failure.Message}; it got {string.Join(", ", fast.Received.Select(d => d.Headers["webhook-id"]))}; its attempt log: " +
                    await harness.Client.GetStringAsync($"/webhooks/{fastId}/deliveries"));
            }
            await WebhookReceiver.WaitForAsync(() => harness.Receiver.Count == 2, "two attempts at the hanging endpoint");
            // Its limit is two in flight: the other three wait for a slot instead of piling onto it.
            Assert.Equal(2, harness.Receiver.Count);

            release.SetResult();
            await WebhookReceiver.WaitForAsync(() => harness.Receiver.Count == 5, "the rest once it answers");
        }
        finally
        {
            release.TrySetResult();
        }
    }
}
