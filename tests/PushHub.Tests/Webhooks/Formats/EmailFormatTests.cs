using PushHub.Hub;
using PushHub.Tests.Infrastructure;
using PushHub.Webhooks.Formats;

namespace PushHub.Tests.Webhooks.Formats;

/// <summary>Email through a real SMTP server (aiosmtpd), read back as the server received it.</summary>
public sealed class EmailFormatTests : IAsyncLifetime
{
    private SmtpReceiver? _smtp;
    private FormatKit? _kit;

    private SmtpReceiver Smtp => _smtp!;

    private FormatKit Kit => _kit!;

    public async Task InitializeAsync()
    {
        if (SmtpReceiver.Unavailable is not null)
        {
            _kit = new FormatKit(Settings(1));
            return;
        }
        _smtp = await SmtpReceiver.StartAsync();
        _kit = new FormatKit(Settings(_smtp.Port));
    }

    public async Task DisposeAsync()
    {
        _kit?.Dispose();
        if (_smtp is not null)
        {
            await _smtp.DisposeAsync();
        }
    }

    [SmtpFact]
    public async Task The_message_reaches_every_recipient_with_text_and_html_parts()
    {
        var destination = Kit.Destination("email", "mailto:ops@example.com,Lead%40example.org");
        var stored = FormatKit.Event(EventTypes.Failed, new { error = "out of <memory> & more" });

        var attempt = await Kit.SendAsync(destination, stored);

        Assert.Equal(VerdictKind.Delivered, attempt.Verdict.Kind);
        var email = Assert.Single(Smtp.Received());
        Assert.Equal("pushhub@example.com", email.EnvelopeFrom);
        Assert.Equal(["ops@example.com", "Lead@example.org"], email.EnvelopeTo);
        var from = Assert.Single(email.Message.From.Mailboxes);
        Assert.Equal(("PushHub", "pushhub@example.com"), (from.Name, from.Address));
        Assert.Equal("build-17 failed: out of <memory> & more", email.Message.Subject);
        Assert.Equal("build-17", email.Message.Headers["X-PushHub-Task"]);
        Assert.StartsWith("build-17 failed: out of <memory> & more\n\nStatus: failed", email.Message.TextBody!.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("https://push.example.com/#/tasks/build-17", email.Message.TextBody, StringComparison.Ordinal);
        Assert.Contains("build-17 failed: out of &lt;memory&gt; &amp; more", email.Message.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<memory>", email.Message.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://push.example.com/#/tasks/build-17\">Open in PushHub</a>", email.Message.HtmlBody, StringComparison.Ordinal);
    }

    [SmtpFact]
    public async Task A_template_is_the_plain_part_and_html_encoded_in_the_html_part()
    {
        var destination = Kit.Destination("email", "mailto:ops@example.com", template: "Task {{ task_id }}: <{{ error }}>\nbye");

        await Kit.SendAsync(destination, FormatKit.Event(EventTypes.Failed, new { error = "disk & full" }));

        var message = Assert.Single(Smtp.Received()).Message;
        Assert.Equal("Task build-17: <disk & full>\nbye", message.TextBody!.ReplaceLineEndings("\n").TrimEnd('\n'));
        Assert.Contains("Task build-17: &lt;disk &amp; full&gt;<br>", message.HtmlBody, StringComparison.Ordinal);
    }

    [SmtpFact]
    public async Task A_4xx_reply_is_transient_and_a_5xx_reply_is_permanent()
    {
        var destination = Kit.Destination("email", "mailto:ops@example.com");

        Smtp.AnswerData("451 4.3.0 Try again later");
        var busy = await Kit.SendAsync(destination);
        Smtp.AnswerData("550 5.1.1 Mailbox unavailable");
        var refused = await Kit.SendAsync(destination);
        Smtp.AnswerData(null);
        var accepted = await Kit.SendAsync(destination);

        Assert.Equal((VerdictKind.Transient, 451), (busy.Verdict.Kind, busy.Status));
        Assert.Equal((VerdictKind.Permanent, 550), (refused.Verdict.Kind, refused.Status));
        Assert.Contains("Mailbox unavailable", refused.Error, StringComparison.Ordinal);
        Assert.Equal(VerdictKind.Delivered, accepted.Verdict.Kind);
        Assert.Single(Smtp.Received());
    }

    [Fact]
    public async Task A_relay_that_does_not_answer_is_transient()
    {
        using var kit = new FormatKit(Settings(TestPorts.Free()));
        var attempt = await kit.SendAsync(kit.Destination("email", "mailto:ops@example.com"));

        Assert.Equal(VerdictKind.Transient, attempt.Verdict.Kind);
        Assert.Null(attempt.Status);
    }

    [Fact]
    public void A_mailto_webhook_is_refused_while_smtp_is_not_set_up()
    {
        using var kit = new FormatKit();
        var (destination, errors) = kit.Check("email", "mailto:ops@example.com");

        Assert.Null(destination);
        Assert.Contains("Email:Smtp:Host", errors.ToDictionary()["url"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mailto:")]
    [InlineData("mailto:not-an-address")]
    [InlineData("mailto:a@example.com?subject=hi")]
    [InlineData("https://example.com/")]
    public void Bad_mailto_urls_are_refused(string url)
    {
        var (destination, errors) = Kit.Check("email", url);

        Assert.Null(destination);
        Assert.True(errors.Contains("url"));
    }

    [Fact]
    public void Email_defaults_to_lifecycle_types_and_never_shows_the_smtp_password()
    {
        var format = Kit.Formats.Find("email")!;
        var destination = Kit.Destination("email", "mailto:ops@example.com");

        Assert.Equal(NotificationFormat.LifecycleTypes, format.DefaultTypes);
        Assert.True(format.CoalescesProgress);
        Assert.Equal("mailto:ops@example.com", destination.MaskedAddress);
        Assert.Empty(destination.MaskedOptions);
    }

    private static Dictionary<string, string?> Settings(int port) => new()
    {
        ["Email:Smtp:Host"] = "127.0.0.1",
        ["Email:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Email:Smtp:Security"] = "None",
        ["Email:From"] = "PushHub <pushhub@example.com>",
    };
}
