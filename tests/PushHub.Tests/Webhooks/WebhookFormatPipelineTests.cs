using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Webhooks;

/// <summary>Every format through the one pipeline: publish → the service fake got the format's body; its answers drive the outbox.</summary>
public sealed class WebhookFormatPipelineTests : IAsyncLifetime
{
    private ServiceFakes _fakes = null!;
    private WebhookHarness _harness = null!;

    public async Task InitializeAsync()
    {
        _fakes = await ServiceFakes.StartAsync();
        _harness = await WebhookHarness.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        await _fakes.DisposeAsync();
    }

    [Theory]
    [InlineData("slack")]
    [InlineData("discord")]
    [InlineData("teams")]
    [InlineData("telegram")]
    [InlineData("pagerduty")]
    public async Task A_published_event_reaches_the_service_in_its_format(string format)
    {
        var id = await RegisterAsync(format);

        await _harness.Client.PublishSeqAsync("build-17", "task.failed", new { error = "out of memory" });
        await WebhookReceiver.WaitForAsync(() => _fakes.Count == 1, "the delivery to the " + format + " fake");

        var request = _fakes.Received[0];
        Assert.Equal("application/json; charset=utf-8", request.Headers["content-type"]);
        // Not the standard format's signed event: chat and paging services get their own shape.
        Assert.False(request.Headers.ContainsKey("x-webhook-signature"));
        var body = request.Json;
        switch (format)
        {
            case "slack":
                Assert.Contains("build-17 failed: out of memory", body["text"]!.GetValue<string>(), StringComparison.Ordinal);
                Assert.NotEmpty(body["blocks"]!.AsArray());
                break;
            case "discord":
                Assert.Equal("build-17", body["embeds"]![0]!["title"]!.GetValue<string>());
                Assert.Contains("out of memory", body["content"]!.GetValue<string>(), StringComparison.Ordinal);
                break;
            case "teams":
                Assert.Equal("message", body["type"]!.GetValue<string>());
                Assert.Equal("AdaptiveCard", body["attachments"]![0]!["content"]!["type"]!.GetValue<string>());
                Assert.Contains("out of memory", request.BodyText, StringComparison.Ordinal);
                break;
            case "telegram":
                Assert.Equal(-100123, body["chat_id"]!.GetValue<long>());
                Assert.Equal("HTML", body["parse_mode"]!.GetValue<string>());
                Assert.Contains("out of memory", body["text"]!.GetValue<string>(), StringComparison.Ordinal);
                break;
            case "pagerduty":
                Assert.Equal(_fakes.PagerDutyRoutingKey, body["routing_key"]!.GetValue<string>());
                Assert.Equal("trigger", body["event_action"]!.GetValue<string>());
                Assert.Equal("build-17", body["dedup_key"]!.GetValue<string>());
                Assert.Equal("error", body["payload"]!["severity"]!.GetValue<string>());
                break;
        }
        var attempts = await _harness.WaitForAttemptsAsync(id, 1);
        Assert.Equal("succeeded", attempts[0]!["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task Chat_formats_default_to_the_lifecycle_types()
    {
        var webhook = await CreateAsync(RegistrationJson("slack"));
        Assert.Equal(["task.started", "task.completed", "task.failed", "task.stuck", "task.cancelled"],
            webhook["types"]!.AsArray().Select(t => t!.GetValue<string>()));

        await _harness.Client.PublishSeqAsync("build-17", "task.progress", new { percent = 10 });
        var completed = await _harness.Client.PublishSeqAsync("build-17", "task.completed");
        await WebhookReceiver.WaitForAsync(() => _fakes.Count == 1, "the completed delivery");
        var attempts = await _harness.WaitForAttemptsAsync(webhook["id"]!.GetValue<string>(), 1);
        Assert.Single(attempts);
        Assert.Equal(completed, attempts[0]!["seq"]!.GetValue<long>());
    }

    public static TheoryData<string, string> RateLimits => new()
    {
        { "slack", "header" },
        { "discord", "retry_after body" },
        { "telegram", "parameters.retry_after body" },
    };

    [Theory]
    [MemberData(nameof(RateLimits))]
    public async Task A_rate_limit_defers_to_its_retry_after_without_spending_an_attempt(string format, string how)
    {
        _fakes.Enqueue(format switch
        {
            "slack" => FakeAnswer.SlackRateLimited(30),
            "discord" => FakeAnswer.DiscordRateLimited(30, withHeader: false),
            _ => FakeAnswer.TelegramRateLimited(30),
        });
        var id = await RegisterAsync(format);
        await _harness.Client.PublishSeqAsync("build-17", "task.failed");

        var deferred = (await _harness.WaitForAttemptsAsync(id, 1))[0]!;
        Assert.Equal("deferred", deferred["outcome"]!.GetValue<string>());
        Assert.Equal(429, deferred["response_status"]!.GetValue<int>());
        Assert.True(TimeSpan.FromSeconds(30) == Parse(deferred["next_attempt_at"]) - Parse(deferred["attempted_at"]), "the delay from the " + how);

        await _harness.AdvanceToNextAttemptAsync(id);
        var attempts = await _harness.WaitForAttemptsAsync(id, 2);
        Assert.Equal(2, _fakes.Count);
        Assert.Equal("succeeded", attempts[0]!["outcome"]!.GetValue<string>());
        // The deferral spent nothing: the delivery succeeded on its first attempt.
        Assert.Equal(1, attempts[0]!["attempt"]!.GetValue<int>());
        Assert.Empty(await _harness.DeadLettersAsync(id));
    }

    [Fact]
    public async Task A_404_from_discord_disables_the_webhook_and_dead_letters_the_delivery()
    {
        _fakes.Enqueue(FakeAnswer.DiscordUnknownWebhook);
        var id = await RegisterAsync("discord");
        await _harness.Client.PublishSeqAsync("build-17", "task.failed");

        var attempt = (await _harness.WaitForAttemptsAsync(id, 1))[0]!;
        Assert.Equal("disabled", attempt["outcome"]!.GetValue<string>());
        Assert.Equal(404, attempt["response_status"]!.GetValue<int>());
        var webhook = JsonNode.Parse(await _harness.Client.GetStringAsync($"/webhooks/{id}"))!;
        Assert.False(webhook["enabled"]!.GetValue<bool>());
        Assert.Contains("Unknown Webhook", webhook["disabled_reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single(await _harness.DeadLettersAsync(id));
        Assert.Equal(1, _fakes.Count);
    }

    [Fact]
    public async Task A_pagerduty_400_dead_letters_at_once()
    {
        _fakes.Enqueue(FakeAnswer.PagerDutyInvalid);
        var id = await RegisterAsync("pagerduty");
        await _harness.Client.PublishSeqAsync("build-17", "task.failed");

        var attempt = (await _harness.WaitForAttemptsAsync(id, 1))[0]!;
        Assert.Equal("dead_letter", attempt["outcome"]!.GetValue<string>());
        var dead = Assert.Single(await _harness.DeadLettersAsync(id));
        Assert.Equal(1, dead!["attempts"]!.GetValue<int>());
        Assert.Contains("invalid", dead["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokens_and_secret_options_show_in_no_api_answer_nor_the_attempt_log()
    {
        string[] secrets = [_fakes.TelegramToken, _fakes.PagerDutyRoutingKey, _fakes.SlackToken];
        // Each service answers an error that echoes the caller's token, as some do.
        _fakes.Enqueue(FakeAnswer.Of(500, "bad bot " + _fakes.TelegramToken), FakeAnswer.Of(500, "bad key " + _fakes.PagerDutyRoutingKey),
            FakeAnswer.Of(500, "bad hook /services/T0123ABCD/B0456EFGH/" + _fakes.SlackToken));
        var answers = new List<string>();
        var ids = new List<string>();
        foreach (var format in new[] { "telegram", "pagerduty", "slack" })
        {
            // One task each, so that each service's scripted answer reaches only its own webhook.
            var registration = JsonNode.Parse(RegistrationJson(format))!;
            registration["task_id"] = "build-" + format;
            using var created = await _harness.Client.PostAsync("/webhooks", HubClient.Json(registration.ToJsonString()));
            var text = await created.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            answers.Add(text);
            ids.Add(JsonNode.Parse(text)!["id"]!.GetValue<string>());
            await _harness.Client.PublishSeqAsync("build-" + format, "task.failed");
            await _harness.WaitForAttemptsAsync(ids[^1], 1);
        }
        var telegram = JsonNode.Parse(answers[0])!;
        Assert.Equal(_fakes.BaseUrl + "/bot****/sendMessage", telegram["url"]!.GetValue<string>());
        Assert.Equal("-100123", telegram["options"]!["chat_id"]!.GetValue<string>());
        Assert.Equal("****", JsonNode.Parse(answers[1])!["options"]!["routing_key"]!.GetValue<string>());

        // A patch that sends the masked URL and options back as shown keeps the stored secrets.
        using (var patched = await _harness.Client.PatchAsync($"/webhooks/{ids[1]}", HubClient.Json(
            $$$"""{"url":"{{{_fakes.PagerDutyUrl}}}","options":{"routing_key":"****","severity":"critical"}}""")))
        {
            answers.Add(await patched.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }
        answers.Add(await _harness.Client.GetStringAsync("/webhooks"));
        foreach (var id in ids)
        {
            answers.Add(await _harness.Client.GetStringAsync($"/webhooks/{id}"));
            answers.Add(await _harness.Client.GetStringAsync($"/webhooks/{id}/deliveries"));
        }
        foreach (var secret in secrets)
        {
            Assert.All(answers, answer => Assert.DoesNotContain(secret, answer, StringComparison.Ordinal));
        }
        Assert.Contains("bad key ****", answers[^3], StringComparison.Ordinal);

        await _harness.AdvanceToNextAttemptAsync(ids[1]);
        await WebhookReceiver.WaitForAsync(() => _fakes.Received.Count(r => r.PathAndQuery == "/v2/enqueue") == 2, "the retry to PagerDuty");
        var retry = _fakes.Received.Last(r => r.PathAndQuery == "/v2/enqueue").Json;
        Assert.Equal(_fakes.PagerDutyRoutingKey, retry["routing_key"]!.GetValue<string>());
        Assert.Equal("critical", retry["payload"]!["severity"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"format":"carrier-pigeon","url":"https://example.com/x"}""", "format")]
    [InlineData("""{"format":"telegram","url":"https://api.telegram.org/bot1:x/sendMessage"}""", "options.chat_id")]
    [InlineData("""{"format":"slack","url":"https://hooks.slack.com/services/T/B/x","options":{"colour":"red"}}""", "options.colour")]
    [InlineData("""{"format":"standard","url":"https://example.com/x","template":"{{ headline }}"}""", "template")]
    [InlineData("""{"format":"email","url":"mailto:ops@example.com"}""", "url")]
    public async Task Bad_format_fields_are_400_naming_the_field_and_store_nothing(string body, string field)
    {
        using var response = await _harness.Client.PostAsync("/webhooks", HubClient.Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadProblemAsync();
        Assert.NotNull(problem["errors"]![field]);
        Assert.Empty(JsonNode.Parse(await _harness.Client.GetStringAsync("/webhooks"))!["webhooks"]!.AsArray());
    }

    [Fact]
    public async Task A_template_that_does_not_parse_is_400_naming_its_line()
    {
        var body = new JsonObject
        {
            ["format"] = "slack",
            ["url"] = _fakes.SlackUrl,
            ["template"] = "{{ headline }}\n{% if status == 'failed' %}\nbroken",
        };
        using var response = await _harness.Client.PostAsync("/webhooks", HubClient.Json(body.ToJsonString()));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = (await response.ReadProblemAsync())["errors"]!["template"]![0]!.GetValue<string>();
        Assert.Matches(@"line \d+", message);
        Assert.DoesNotContain(_fakes.SlackToken, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_test_send_reaches_the_service_and_is_logged_as_seq_0_without_touching_the_outbox()
    {
        var id = await RegisterAsync("telegram");
        using var response = await _harness.Client.PostAsync($"/webhooks/{id}/test", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var attempt = JsonNode.Parse(text)!;
        Assert.Equal("succeeded", attempt["outcome"]!.GetValue<string>());
        Assert.Equal(0, attempt["seq"]!.GetValue<long>());
        Assert.Equal(200, attempt["response_status"]!.GetValue<int>());
        Assert.Contains("pushhub-test", Assert.Single(_fakes.Received).Json["text"]!.GetValue<string>(), StringComparison.Ordinal);

        _fakes.Enqueue(FakeAnswer.TelegramChatNotFound);
        using var failing = await _harness.Client.PostAsync($"/webhooks/{id}/test", null);
        var failed = JsonNode.Parse(await failing.Content.ReadAsStringAsync())!;
        Assert.Equal("failed", failed["outcome"]!.GetValue<string>());
        Assert.Contains("chat not found", failed["error"]!.GetValue<string>(), StringComparison.Ordinal);

        var log = await _harness.AttemptsAsync(id);
        Assert.Equal(["failed", "succeeded"], log.Select(a => a!["outcome"]!.GetValue<string>()));
        Assert.Empty(await _harness.DeadLettersAsync(id));
        var stats = JsonNode.Parse(await _harness.Client.GetStringAsync($"/webhooks/{id}"))!;
        Assert.True(stats["enabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_preview_answers_the_body_that_would_be_sent_and_stores_nothing()
    {
        var template = "{{ headline }} ({{ percent }} %)";
        using var response = await _harness.Client.PostAsync("/webhooks/preview", HubClient.Json(
            new JsonObject { ["format"] = "slack", ["template"] = template }.ToJsonString()));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var preview = JsonNode.Parse(text)!;
        Assert.Equal("slack", preview["format"]!.GetValue<string>());
        Assert.Equal("application/json", preview["content_type"]!.GetValue<string>());
        var body = JsonNode.Parse(preview["body"]!.GetValue<string>())!;
        Assert.Equal("build-17 failed: out of memory (40 %)", body["text"]!.GetValue<string>());

        // The same body a registered webhook with that template sends for the same event.
        var id = (await CreateAsync(new JsonObject { ["format"] = "slack", ["url"] = _fakes.SlackUrl, ["template"] = template }.ToJsonString()))["id"]!;
        await _harness.Client.PublishSeqAsync("build-17", "task.failed", new { percent = 40, message = "Compiling", error = "out of memory" });
        await WebhookReceiver.WaitForAsync(() => _fakes.Count == 1, "the slack delivery");
        Assert.Equal(body["text"]!.GetValue<string>(), _fakes.Received[0].Json["text"]!.GetValue<string>());
        Assert.Single(JsonNode.Parse(await _harness.Client.GetStringAsync("/webhooks"))!["webhooks"]!.AsArray());
        Assert.NotNull(id);

        using var bad = await _harness.Client.PostAsync("/webhooks/preview", HubClient.Json("""{"format":"slack","template":"ok\n{% if %}"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("line 2", (await bad.ReadProblemAsync())["errors"]!["template"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_email_preview_has_subject_plain_text_and_html_without_email_set_up()
    {
        using var response = await _harness.Client.PostAsync("/webhooks/preview", HubClient.Json("""{"format":"email"}"""));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var preview = JsonNode.Parse(text)!;
        Assert.Equal("text/plain", preview["content_type"]!.GetValue<string>());
        Assert.Contains("build-17 failed", preview["subject"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("out of memory", preview["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("<", preview["html"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private async Task<string> RegisterAsync(string format) => (await CreateAsync(RegistrationJson(format)))["id"]!.GetValue<string>();

    private async Task<JsonNode> CreateAsync(string json)
    {
        using var response = await _harness.Client.PostAsync("/webhooks", HubClient.Json(json));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"expected 201, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private string RegistrationJson(string format)
    {
        var body = new JsonObject { ["format"] = format };
        switch (format)
        {
            case "slack":
                body["url"] = _fakes.SlackUrl;
                break;
            case "discord":
                body["url"] = _fakes.DiscordUrl;
                break;
            case "teams":
                body["url"] = _fakes.TeamsUrl;
                break;
            case "telegram":
                body["url"] = _fakes.TelegramUrl;
                body["options"] = new JsonObject { ["chat_id"] = "-100123" };
                break;
            case "pagerduty":
                body["url"] = _fakes.PagerDutyUrl;
                body["options"] = new JsonObject { ["routing_key"] = _fakes.PagerDutyRoutingKey };
                break;
        }
        return body.ToJsonString();
    }

    private static DateTimeOffset Parse(JsonNode? node) => DateTimeOffset.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture);
}
