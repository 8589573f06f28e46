using PushHub.Hub;
using PushHub.Tests.Infrastructure;
using PushHub.Webhooks.Formats;

namespace PushHub.Tests.Webhooks.Formats;

public sealed class TelegramFormatTests : NotificationFormatSpec
{
    protected override string Format => "telegram";

    protected override string Url => Fakes.TelegramUrl;

    protected override object? Options => new { chat_id = -1001234567890 };

    protected override IReadOnlyList<string> Secrets => [Fakes.TelegramToken];

    protected override FakeAnswer? DisablingAnswer => FakeAnswer.TelegramUnauthorized;

    protected override FakeAnswer? PermanentAnswer => FakeAnswer.TelegramChatNotFound;

    [Fact]
    public void The_body_is_html_text_for_the_chat_with_event_text_escaped()
    {
        var body = Kit.Body(Destination(), FormatKit.Event(EventTypes.Failed, new { error = "a < b & \"c\"" }));

        Assert.Equal(-1001234567890, body.GetProperty("chat_id").GetInt64());
        Assert.Equal("HTML", body.GetProperty("parse_mode").GetString());
        Assert.Equal(
            "<b>build-17</b> failed: a &lt; b &amp; &quot;c&quot;\nStatus: failed · task.failed · seq 42\n<a href=\"https://push.example.com/#/tasks/build-17\">Open in PushHub</a>",
            body.GetProperty("text").GetString());
    }

    [Fact]
    public void A_channel_username_is_sent_as_a_string()
    {
        var destination = Kit.Destination("telegram", Url, new { chat_id = "@pushhub_deploys" });
        Assert.Equal("@pushhub_deploys", Kit.Body(destination).GetProperty("chat_id").GetString());
    }

    [Fact]
    public void Long_text_is_cut_at_4096_without_breaking_an_entity_or_leaving_a_tag_open()
    {
        var stored = FormatKit.Event(EventTypes.Failed, new { error = string.Concat(Enumerable.Repeat("x&", 3000)) });

        var text = Kit.Body(Destination("<b>{{ task_id }}</b> <i>{{ error }}</i>"), stored).GetProperty("text").GetString()!;

        Assert.True(text.Length <= TelegramFormat.MaxText, $"{text.Length} characters");
        Assert.StartsWith("<b>build-17</b> <i>x&amp;x&amp;", text, StringComparison.Ordinal);
        Assert.EndsWith("…</i>", text, StringComparison.Ordinal);
        Assert.Matches("(x|&amp;)…</i>$", text);
    }

    [Fact]
    public async Task Rate_limited_is_deferred_by_parameters_retry_after()
    {
        Fakes.Enqueue(FakeAnswer.TelegramRateLimited(7));

        var attempt = await Kit.SendAsync(Destination());

        Assert.Equal(VerdictKind.RetryAt, attempt.Verdict.Kind);
        Assert.Equal(FormatKit.Start.AddSeconds(7), attempt.Verdict.RetryAt);
        Assert.Contains("Too Many Requests", attempt.Error!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_blocked_bot_is_permanent_and_says_so()
    {
        Fakes.Enqueue(FakeAnswer.TelegramBotBlocked);

        var attempt = await Kit.SendAsync(Destination());

        Assert.Equal(VerdictKind.Permanent, attempt.Verdict.Kind);
        Assert.Equal("answered 403: Forbidden: bot was blocked by the user", attempt.Error);
    }

    [Fact]
    public void The_token_is_masked()
    {
        var destination = Kit.Destination("telegram", "https://api.telegram.org/bot" + Fakes.TelegramToken + "/sendMessage", Options);
        Assert.Equal("https://api.telegram.org/bot****/sendMessage", destination.MaskedAddress);
        Assert.Equal("-1001234567890", destination.MaskedOptions["chat_id"]);
    }

    [Fact]
    public void Chat_id_is_required_and_checked()
    {
        var (_, missing) = Kit.Check("telegram", Url);
        var (_, wrong) = Kit.Check("telegram", Url, new { chat_id = "my chat" });
        var (_, unknown) = Kit.Check("telegram", Url, new { chat_id = 5, colour = "red" });

        Assert.Contains("is required", missing.ToDictionary()["options.chat_id"][0], StringComparison.Ordinal);
        Assert.Contains("numeric id", wrong.ToDictionary()["options.chat_id"][0], StringComparison.Ordinal);
        Assert.Contains("chat_id, message_thread_id", unknown.ToDictionary()["options.colour"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Telegram_is_paced_to_one_message_a_second_per_chat()
    {
        var one = Destination();
        var other = Kit.Destination("telegram", Url, new { chat_id = 42 });

        Assert.True(Kit.Pacer.TryAcquire(one.Format.Pacing(one)!, out _));
        Assert.False(Kit.Pacer.TryAcquire(one.Format.Pacing(one)!, out var notBefore));
        Assert.True(Kit.Pacer.TryAcquire(other.Format.Pacing(other)!, out _));
        Assert.Equal(FormatKit.Start.AddSeconds(1), notBefore);
    }
}
