using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Webhooks;

/// <summary>
/// A <c>mailto:</c> webhook through the whole pipeline to a real SMTP server (aiosmtpd): what the server received,
/// and how its replies drive the outbox — 4xx retries on the schedule, 5xx dead-letters at once.
/// </summary>
public sealed class WebhookEmailTests : IAsyncLifetime
{
    private SmtpReceiver? _smtp;
    private WebhookHarness? _harness;

    private SmtpReceiver Smtp => _smtp!;

    private WebhookHarness Harness => _harness!;

    public async Task InitializeAsync()
    {
        if (SmtpReceiver.Unavailable is not null)
        {
            return; // every test here is an [SmtpFact], skipped with the reason
        }
        _smtp = await SmtpReceiver.StartAsync();
        _harness = await WebhookHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Email:Smtp:Host"] = "127.0.0.1",
            ["Email:Smtp:Port"] = _smtp.Port.ToString(CultureInfo.InvariantCulture),
            ["Email:Smtp:Security"] = "None",
            ["Email:From"] = "PushHub Alerts <alerts@example.com>",
            ["Hub:PublicUrl"] = "https://push.example.com",
        });
    }

    public async Task DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
        if (_smtp is not null)
        {
            await _smtp.DisposeAsync();
        }
    }

    [SmtpFact]
    public async Task A_lifecycle_event_arrives_as_a_message_with_envelope_sender_subject_and_both_parts()
    {
        var id = await CreateAsync("mailto:ops@example.com,Lead%40example.org");

        var seq = await Harness.Client.PublishSeqAsync("deploy-9", "task.completed", new { message = "v1.2 is live <prod>" });
        await WebhookReceiver.WaitForAsync(() => Smtp.Received().Count == 1, "the email");

        var email = Smtp.Received()[0];
        Assert.Equal("alerts@example.com", email.EnvelopeFrom);
        Assert.Equal(["ops@example.com", "Lead@example.org"], email.EnvelopeTo);
        var from = Assert.Single(email.Message.From.Mailboxes);
        Assert.Equal(("PushHub Alerts", "alerts@example.com"), (from.Name, from.Address));
        Assert.Equal(["ops@example.com", "Lead@example.org"], email.Message.To.Mailboxes.Select(m => m.Address));
        Assert.Equal("deploy-9 completed: v1.2 is live <prod>", email.Message.Subject);
        var text = email.Message.TextBody!.ReplaceLineEndings("\n");
        Assert.StartsWith("deploy-9 completed: v1.2 is live <prod>\n\nStatus: completed", text, StringComparison.Ordinal);
        Assert.Contains("seq " + seq.ToString(CultureInfo.InvariantCulture), text, StringComparison.Ordinal);
        Assert.Contains("https://push.example.com/#/tasks/deploy-9", text, StringComparison.Ordinal);
        var html = email.Message.HtmlBody!;
        Assert.Contains("deploy-9 completed: v1.2 is live &lt;prod&gt;", html, StringComparison.Ordinal);
        Assert.Contains("Status: completed", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://push.example.com/#/tasks/deploy-9\">Open in PushHub</a>", html, StringComparison.Ordinal);

        var attempt = Assert.Single(await Harness.WaitForAttemptsAsync(id, 1))!;
        Assert.Equal("succeeded", attempt["outcome"]!.GetValue<string>());
        Assert.Equal(250, attempt["response_status"]!.GetValue<int>());
    }

    [SmtpFact]
    public async Task A_4xx_reply_to_data_is_retried_and_delivered_once_the_server_accepts()
    {
        var id = await CreateAsync("mailto:ops@example.com");
        Smtp.AnswerData("451 4.3.0 Try again later");

        await Harness.Client.PublishSeqAsync("deploy-9", "task.failed", new { error = "health check timed out" });
        var failed = (await Harness.WaitForAttemptsAsync(id, 1))[0]!;
        Assert.Equal("failed", failed["outcome"]!.GetValue<string>());
        Assert.Equal(451, failed["response_status"]!.GetValue<int>());
        Assert.Contains("Try again later", failed["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(failed["next_attempt_at"]);
        Assert.Empty(Smtp.Received());

        Smtp.AnswerData(null);
        await Harness.AdvanceToNextAttemptAsync(id);
        var attempts = await Harness.WaitForAttemptsAsync(id, 2);
        Assert.Equal(["succeeded", "failed"], attempts.Select(a => a!["outcome"]!.GetValue<string>()));
        Assert.Equal(2, attempts[0]!["attempt"]!.GetValue<int>());
        var email = Assert.Single(Smtp.Received());
        Assert.Equal("deploy-9 failed: health check timed out", email.Message.Subject);
        Assert.Empty(await Harness.DeadLettersAsync(id));
    }

    [SmtpFact]
    public async Task A_5xx_reply_to_data_is_a_dead_letter_at_once_with_the_reply_in_its_reason()
    {
        var id = await CreateAsync("mailto:nobody@example.com");
        Smtp.AnswerData("550 5.1.1 Mailbox unavailable");

        var seq = await Harness.Client.PublishSeqAsync("deploy-9", "task.failed");
        var attempt = (await Harness.WaitForAttemptsAsync(id, 1))[0]!;
        Assert.Equal("dead_letter", attempt["outcome"]!.GetValue<string>());
        Assert.Equal(550, attempt["response_status"]!.GetValue<int>());

        var dead = Assert.Single(await Harness.DeadLettersAsync(id))!;
        Assert.Equal(seq, dead["seq"]!.GetValue<long>());
        Assert.Equal(1, dead["attempts"]!.GetValue<int>());
        Assert.Equal(550, dead["last_status"]!.GetValue<int>());
        Assert.Contains("SMTP 550", dead["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Mailbox unavailable", dead["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(Smtp.Received());
        var webhook = JsonNode.Parse(await Harness.Client.GetStringAsync($"/webhooks/{id}"))!;
        Assert.True(webhook["enabled"]!.GetValue<bool>());
    }

    private async Task<string> CreateAsync(string url)
    {
        var body = new JsonObject { ["format"] = "email", ["url"] = url };
        using var response = await Harness.Client.PostAsync("/webhooks", HubClient.Json(body.ToJsonString()));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"expected 201, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["id"]!.GetValue<string>();
    }
}
