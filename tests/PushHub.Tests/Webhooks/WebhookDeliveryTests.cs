using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;
using PushHub.Webhooks;

namespace PushHub.Tests.Webhooks;

public sealed class WebhookDeliveryTests
{
    private static readonly TimeSpan[] s_schedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10),
        TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4), TimeSpan.FromHours(8),
    ];

    [Fact]
    public async Task Delivery_carries_the_stored_event_bytes_and_verifiable_signatures()
    {
        await using var harness = await WebhookHarness.StartAsync();
        var (id, secret) = await harness.RegisterAsync();

        using var published = await harness.Client.PublishAsync("build-17", "task.progress", new { percent = 50, message = "Compiling" });
        var stored = await published.Content.ReadAsByteArrayAsync();
        await WebhookReceiver.WaitForAsync(() => harness.Receiver.Count == 1, "the delivery");

        var delivery = harness.Receiver.Received[0];
        Assert.Equal(stored, delivery.Body);
        var headers = delivery.Headers;
        Assert.Equal("application/json", headers["content-type"]);
        Assert.Matches(@"^PushHub/\d+\.\d+\.\d+", headers["user-agent"]);
        Assert.Equal("build-17", headers["x-task-id"]);
        Assert.Equal("task.progress", headers["x-event-type"]);
        Assert.Equal("evt_1", headers["webhook-id"]);
        Assert.Equal(WebhookHarness.Start.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), headers["webhook-timestamp"]);

        // An independent check of both signatures with nothing but the secret and HMAC-SHA256.
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, delivery.Body)), headers["x-webhook-signature"]);
        var signed = System.Text.Encoding.UTF8.GetBytes($"evt_1.{headers["webhook-timestamp"]}.").Concat(delivery.Body).ToArray();
        Assert.Equal("v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed)), headers["webhook-signature"]);

        var attempts = await harness.WaitForAttemptsAsync(id, 1);
        Assert.Equal("succeeded", attempts[0]!["outcome"]!.GetValue<string>());
        Assert.Equal(200, attempts[0]!["response_status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Filters_pick_which_events_are_delivered()
    {
        await using var harness = await WebhookHarness.StartAsync();
        await harness.RegisterAsync("""
            "task_id":"build-1","types":["task.completed"]
            """);
        await harness.Client.PublishSeqAsync("build-2", "task.completed");
        await harness.Client.PublishSeqAsync("build-1", "task.started");
        var wanted = await harness.Client.PublishSeqAsync("build-1", "task.completed");

        await WebhookReceiver.WaitForAsync(() => harness.Receiver.Count == 1, "the one matching delivery");
        Assert.Equal($"evt_{wanted}", harness.Receiver.Received[0].Headers["webhook-id"]);
    }

    [Fact]
    public async Task A_task_pattern_picks_every_task_with_its_prefix()
    {
        await using var harness = await WebhookHarness.StartAsync();
        await harness.RegisterAsync("""
            "task_id":"deploy-*","types":["task.completed"]
            """);
        await harness.Client.PublishSeqAsync("build-1", "task.completed");
        await harness.Client.PublishSeqAsync("deploy", "task.completed");
        var first = await harness.Client.PublishSeqAsync("deploy-eu", "task.completed");
        var second = await harness.Client.PublishSeqAsync("deploy-us", "task.completed");

        await WebhookReceiver.WaitForAsync(() => harness.Receiver.Count == 2, "the two deploy-* deliveries");
        Assert.Equal([$"evt_{first}", $"evt_{second}"],
            harness.Receiver.Received.Select(request => request.Headers["webhook-id"]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Failing_endpoint_is_retried_on_the_schedule_with_jitter_until_it_succeeds()
    {
        await using var harness = await WebhookHarness.StartAsync();
        harness.Receiver.Respond = (n, context) =>
        {
            context.Response.StatusCode = n <= 3 ? 500 : 200;
            return Task.CompletedTask;
        };
        var (id, _) = await harness.RegisterAsync();
        await harness.Client.PublishSeqAsync("t1", "task.started");

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var attempts = await harness.WaitForAttemptsAsync(id, attempt);
            var latest = attempts[0]!;
            Assert.Equal("failed", latest["outcome"]!.GetValue<string>());
            Assert.Equal(500, latest["response_status"]!.GetValue<int>());
            var wait = Parse(latest["next_attempt_at"]) - Parse(latest["attempted_at"]);
            var planned = s_schedule[attempt - 1];
            Assert.InRange(wait, planned * 0.8, planned * 1.2);
            var next = await harness.AdvanceToNextAttemptAsync(id);
            await WebhookReceiver.WaitForAsync(() => harness.Receiver.Count == attempt + 1, $"attempt {attempt + 1}");
            Assert.True(harness.Time.GetUtcNow() >= next);
        }

        var log = await harness.WaitForAttemptsAsync(id, 4);
        Assert.Equal("succeeded", log[0]!["outcome"]!.GetValue<string>());
        Assert.Equal([4, 3, 2, 1], log.Select(a => a!["attempt"]!.GetValue<int>()));
        Assert.All(harness.Receiver.Received, d => Assert.Equal("evt_1", d.Headers["webhook-id"]));
        Assert.Empty(await harness.DeadLettersAsync(id));
    }

    [Fact]
    public async Task After_the_last_retry_a_dead_letter_appears_and_replaying_it_delivers()
    {
        await using var harness = await WebhookHarness.StartAsync();
        var failing = true;
        harness.Receiver.Respond = (_, context) =>
        {
            context.Response.StatusCode = Volatile.Read(ref failing) ? 503 : 204;
            return Task.CompletedTask;
        };
        var (id, _) = await harness.RegisterAsync();
        var seq = await harness.Client.PublishSeqAsync("t1", "task.failed");

        for (var attempt = 1; attempt <= s_schedule.Length; attempt++)
        {
            await harness.WaitForAttemptsAsync(id, attempt);
            await harness.AdvanceToNextAttemptAsync(id);
        }
        var attempts = await harness.WaitForAttemptsAsync(id, s_schedule.Length + 1);
        Assert.Equal("dead_letter", attempts[0]!["outcome"]!.GetValue<string>());
        var dead = Assert.Single(await harness.DeadLettersAsync(id))!;
        Assert.Equal(seq, dead["seq"]!.GetValue<long>());
        Assert.Equal("t1", dead["task_id"]!.GetValue<string>());
        Assert.Equal("task.failed", dead["type"]!.GetValue<string>());
        Assert.Equal(s_schedule.Length + 1, dead["attempts"]!.GetValue<int>());
        Assert.Equal(503, dead["last_status"]!.GetValue<int>());

        Volatile.Write(ref failing, false);
        using var replay = await harness.Client.PostAsync($"/dead-letters/{dead["id"]}/replay", null);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        await WebhookReceiver.WaitForAsync(() => harness.Receiver.Count == s_schedule.Length + 2, "the replayed delivery");
        Assert.Equal($"evt_{seq}", harness.Receiver.Received[^1].Headers["webhook-id"]);
        Assert.Empty(await harness.DeadLettersAsync(id));
    }

    [Fact]
    public async Task Gone_disables_the_endpoint_and_dead_letters_what_it_had_pending()
    {
        await using var harness = await WebhookHarness.StartAsync();
        var release = new TaskCompletionSource();
        harness.Receiver.Respond = async (_, context) =>
        {
            await release.Task;
            context.Response.StatusCode = 410;
        };
        var (id, _) = await harness.RegisterAsync("\"types\":[\"task.progress\"]");
        using (var batch = await harness.Client.PostAsync("/events", HubClient.Json(
            """[{"task_id":"a","type":"task.progress","data":{"percent":1}},{"task_id":"a","type":"task.progress","data":{"percent":2}}]""")))
        {
            Assert.Equal(HttpStatusCode.Accepted, batch.StatusCode);
        }
        await WebhookReceiver.WaitForAsync(() => harness.Receiver.Count >= 1, "the first delivery");
        release.SetResult();

        await WebhookReceiver.WaitForAsync(() => harness.DeadLettersAsync(id).Result.Count == 2, "both deliveries dead-lettered");
        var webhook = JsonNode.Parse(await harness.Client.GetStringAsync($"/webhooks/{id}"))!;
        Assert.False(webhook["enabled"]!.GetValue<bool>());
        Assert.Contains("410", webhook["disabled_reason"]!.GetValue<string>(), StringComparison.Ordinal);

        // The marker: an enabled webhook for the same events on a receiver of its own. Once the next event reached it,
        // the dispatcher has handed that event out; the disabled endpoint got nothing of it.
        await using var marker = await WebhookReceiver.StartAsync();
        using (var created = await harness.Client.PostAsync("/webhooks", HubClient.Json(
            $$"""{"url":"{{marker.Url}}","task_id":"a","types":["task.progress"]}""")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var before = harness.Receiver.Count;
        var attemptsBefore = (await harness.AttemptsAsync(id)).Count;
        var seq = await harness.Client.PublishSeqAsync("a", "task.progress", new { percent = 3 });
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        await WebhookReceiver.WaitForAsync(() => marker.Received.Any(d => d.Headers["webhook-id"] == $"evt_{seq}"), "the event at the marker webhook");
        Assert.Equal(before, harness.Receiver.Count);
        Assert.Equal(attemptsBefore, (await harness.AttemptsAsync(id)).Count);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task Retry_After_is_honoured(int status)
    {
        await using var harness = await WebhookHarness.StartAsync();
        harness.Receiver.Respond = (n, context) =>
        {
            context.Response.StatusCode = n == 1 ? status : 200;
            context.Response.Headers.RetryAfter = "120";
            return Task.CompletedTask;
        };
        var (id, _) = await harness.RegisterAsync();
        await harness.Client.PublishSeqAsync("t1", "task.started");

        var latest = (await harness.WaitForAttemptsAsync(id, 1))[0]!;
        Assert.Equal(TimeSpan.FromSeconds(120), Parse(latest["next_attempt_at"]) - Parse(latest["attempted_at"]));
        await harness.AdvanceToNextAttemptAsync(id);
        await WebhookReceiver.WaitForAsync(() => harness.Receiver.Count == 2, "the retry after Retry-After");
    }

    [Fact]
    public async Task Redirects_are_not_followed_and_count_as_failures()
    {
        await using var harness = await WebhookHarness.StartAsync();
        harness.Receiver.Respond = (_, context) =>
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = harness.Receiver.Url + "/elsewhere";
            return Task.CompletedTask;
        };
        var (id, _) = await harness.RegisterAsync();
        await harness.Client.PublishSeqAsync("t1", "task.started");

        var latest = (await harness.WaitForAttemptsAsync(id, 1))[0]!;
        Assert.Equal("failed", latest["outcome"]!.GetValue<string>());
        Assert.Equal(302, latest["response_status"]!.GetValue<int>());
        Assert.Contains("not followed", latest["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, harness.Receiver.Count);
    }

    [Fact]
    public async Task An_endpoint_that_does_not_answer_in_time_fails_the_attempt()
    {
        await using var harness = await WebhookHarness.StartAsync();
        harness.Receiver.Respond = (n, context) => n == 1 ? Task.Delay(Timeout.Infinite, context.RequestAborted) : Task.CompletedTask;
        var (id, _) = await harness.RegisterAsync();
        await harness.Client.PublishSeqAsync("t1", "task.started");
        await WebhookReceiver.WaitForAsync(() => harness.Receiver.Count == 1, "the hanging delivery");

        harness.Time.Advance(TimeSpan.FromSeconds(10));
        var latest = (await harness.WaitForAttemptsAsync(id, 1))[0]!;
        Assert.Equal("failed", latest["outcome"]!.GetValue<string>());
        Assert.Contains("no response within 10 s", latest["error"]!.GetValue<string>(), StringComparison.Ordinal);

        await harness.AdvanceToNextAttemptAsync(id);
        await WebhookReceiver.WaitForAsync(() => harness.Receiver.Count == 2, "the retry");
        Assert.Equal("succeeded", (await harness.WaitForAttemptsAsync(id, 2))[0]!["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task Replay_redelivers_stored_events_in_a_range_with_their_original_ids()
    {
        await using var harness = await WebhookHarness.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            await harness.Client.PublishSeqAsync("t1", "task.heartbeat");
        }
        var (id, _) = await harness.RegisterAsync();

        using var response = await harness.Client.PostAsync($"/webhooks/{id}/replay", HubClient.Json("""{"after":1,"until":4}"""));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(3, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["queued"]!.GetValue<int>());
        await WebhookReceiver.WaitForAsync(() => harness.Receiver.Count == 3, "three replayed deliveries");
        Assert.Equal(["evt_2", "evt_3", "evt_4"], harness.Receiver.Received.Select(d => d.Headers["webhook-id"]).Order());
    }

    private static DateTimeOffset Parse(JsonNode? node) => DateTimeOffset.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture);
}
