using System.Net;
using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Webhooks;

/// <summary>
/// Progress coalescing end to end: while a chat destination is down, the progress of a task piles up; once it is back,
/// only the newest progress is sent, with every lifecycle event, in seq order, and /metrics counts what was dropped.
/// </summary>
// Alone: the metrics exporter reads every "PushHub" meter in the process, so another hub's deliveries would count here.
[Collection(ProcessWideState.Name)]
public sealed class WebhookCoalescingTests : IAsyncLifetime
{
    private static readonly FakeAnswer s_down = new(503, "upstream down", "text/plain",
        new Dictionary<string, string> { ["Retry-After"] = "60" });

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
    public async Task After_an_outage_only_the_newest_progress_and_every_lifecycle_event_are_sent_in_seq_order()
    {
        var body = new JsonObject
        {
            ["format"] = "slack",
            ["url"] = _fakes.SlackUrl,
            ["types"] = new JsonArray("task.started", "task.progress", "task.completed"),
            ["template"] = "{{ type }} seq {{ seq }} {{ percent }}",
        };
        using var created = await _harness.Client.PostAsync("/webhooks", HubClient.Json(body.ToJsonString()));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        // Slack is down: it answers 503 with Retry-After, so every retry falls due at a time the test knows.
        _fakes.Outage = s_down;
        var started = await _harness.Client.PublishSeqAsync("deploy-9", "task.started");
        await _harness.WaitForAttemptsAsync(id, 1);
        var superseded = new List<long>();
        foreach (var percent in new[] { 10, 40, 70 })
        {
            superseded.Add(await _harness.Client.PublishSeqAsync("deploy-9", "task.progress", new { percent }));
        }
        var newest = superseded[^1];
        superseded.RemoveAt(superseded.Count - 1);
        var completed = await _harness.Client.PublishSeqAsync("deploy-9", "task.completed");

        // Paced to one a second, the pending deliveries meet the outage one by one; the older progress never goes.
        await StepAsync(TimeSpan.FromSeconds(1), 2);
        await StepAsync(TimeSpan.FromSeconds(1), 3);
        await _harness.WaitForAttemptsAsync(id, 3);

        _fakes.Outage = null;
        await StepAsync(TimeSpan.FromSeconds(60), 4);
        await StepAsync(TimeSpan.FromSeconds(1), 5);
        await StepAsync(TimeSpan.FromSeconds(1), 6);
        var attempts = await _harness.WaitForAttemptsAsync(id, 6);

        var sent = _fakes.Received.Select(r => SeqOf(r)).ToList();
        Assert.Equal([started, newest, completed], sent.Skip(3));
        Assert.All(superseded, seq => Assert.DoesNotContain(seq, sent));
        Assert.Contains("task.progress seq " + newest + " 70", _fakes.Received[4].Json["text"]!.GetValue<string>(), StringComparison.Ordinal);
        var delivered = attempts.Where(a => a!["outcome"]!.GetValue<string>() == "succeeded").Select(a => a!["seq"]!.GetValue<long>()).Order();
        Assert.Equal([started, newest, completed], delivered);
        Assert.Empty(await _harness.DeadLettersAsync(id));

        var metrics = await _harness.Client.GetStringAsync("/metrics");
        var line = metrics.Split('\n').Single(l => l.StartsWith("pushhub_webhook_coalesced_total", StringComparison.Ordinal));
        Assert.Equal(superseded.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), line.Split(' ')[1]);
    }

    private static long SeqOf(FakeRequest request) => long.Parse(request.Json["text"]!.GetValue<string>().Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);

    private async Task StepAsync(TimeSpan by, int count)
    {
        _harness.Time.Advance(by);
        await WebhookReceiver.WaitForAsync(() => _fakes.Count >= count, $"request {count} once the clock moved {by}");
    }
}
