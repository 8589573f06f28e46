using System.Net;
using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Webhooks;

/// <summary>
/// Pacing through the dispatcher: requests to one destination go no faster than its service allows, as the fake
/// service saw them on the hub's fake clock; a delivery held back waits unclaimed (no attempt, no breaker), it is not dropped.
/// </summary>
public sealed class WebhookPacingTests : IAsyncLifetime
{
    private WebhookHarness _harness = null!;
    private ServiceFakes _fakes = null!;

    public async Task InitializeAsync()
    {
        _harness = await WebhookHarness.StartAsync();
        _fakes = await ServiceFakes.StartAsync(_harness.Time);
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        await _fakes.DisposeAsync();
    }

    [Fact]
    public async Task Slack_deliveries_to_one_webhook_go_a_second_apart_in_seq_order_spending_no_attempt()
    {
        var id = await CreateAsync(new JsonObject { ["format"] = "slack", ["url"] = _fakes.SlackUrl });
        string[] tasks = ["build-1", "build-2", "build-3", "build-4"];
        foreach (var task in tasks)
        {
            await _harness.Client.PublishSeqAsync(task, "task.failed");
        }

        // The clock stands still between steps, so each request is stamped with the time the hub sent it at.
        await WebhookReceiver.WaitForAsync(() => _fakes.Count >= 1, "the first delivery");
        for (var sent = 2; sent <= tasks.Length; sent++)
        {
            await StepAsync(sent);
        }

        var received = _fakes.Received;
        Assert.Equal(tasks, received.Select(r => r.Json["text"]!.GetValue<string>().Split(' ')[0]));
        Assert.Equal(tasks.Select((_, i) => WebhookHarness.Start.AddSeconds(i)), received.Select(r => r.At));
        var attempts = await _harness.WaitForAttemptsAsync(id, tasks.Length);
        Assert.Equal(tasks.Length, attempts.Count);
        Assert.All(attempts, attempt =>
        {
            Assert.Equal("succeeded", attempt!["outcome"]!.GetValue<string>());
            Assert.Equal(1, attempt["attempt"]!.GetValue<int>());
        });
        Assert.Empty(await _harness.DeadLettersAsync(id));
    }

    [Fact]
    public async Task Telegram_is_paced_per_chat_across_webhooks_and_not_across_chats()
    {
        var first = await CreateAsync(Telegram("-100123"));
        var second = await CreateAsync(Telegram("-100123"));
        var otherChat = await CreateAsync(Telegram("-100999"));

        await _harness.Client.PublishSeqAsync("build-17", "task.failed");

        // With the clock standing still, one message reaches each chat; the second webhook to the same chat waits.
        await WebhookReceiver.WaitForAsync(() => _fakes.Count >= 2, "one message to each chat");
        Assert.Equal(["-100123", "-100999"], _fakes.Received.Select(ChatOf).Order());
        Assert.Single(await _harness.WaitForAttemptsAsync(otherChat, 1));

        await StepAsync(3);
        var sameChat = _fakes.Received.Where(r => ChatOf(r) == "-100123").ToList();
        Assert.Equal([WebhookHarness.Start, WebhookHarness.Start.AddSeconds(1)], sameChat.Select(r => r.At));
        foreach (var id in new[] { first, second })
        {
            var attempt = Assert.Single(await _harness.WaitForAttemptsAsync(id, 1));
            Assert.Equal("succeeded", attempt!["outcome"]!.GetValue<string>());
            Assert.Equal(1, attempt["attempt"]!.GetValue<int>());
        }
    }

    /// <summary>Moves the clock one pacing interval on, and waits for the request it lets go.</summary>
    private async Task StepAsync(int count)
    {
        _harness.Time.Advance(TimeSpan.FromSeconds(1));
        await WebhookReceiver.WaitForAsync(() => _fakes.Count >= count, $"request {count} once the clock moved a second");
    }

    private static string ChatOf(FakeRequest request) => request.Json["chat_id"]!.ToJsonString().Trim('"');

    private JsonObject Telegram(string chat) => new()
    {
        ["format"] = "telegram",
        ["url"] = _fakes.TelegramUrl,
        ["options"] = new JsonObject { ["chat_id"] = chat },
    };

    private async Task<string> CreateAsync(JsonObject body)
    {
        using var response = await _harness.Client.PostAsync("/webhooks", HubClient.Json(body.ToJsonString()));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"expected 201, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["id"]!.GetValue<string>();
    }
}
