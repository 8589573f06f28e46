using PushHub.Hub;
using PushHub.Tests.Infrastructure;
using PushHub.Webhooks.Formats;

namespace PushHub.Tests.Webhooks.Formats;

public sealed class DiscordFormatTests : NotificationFormatSpec
{
    protected override string Format => "discord";

    protected override string Url => Fakes.DiscordUrl;

    protected override IReadOnlyList<string> Secrets => [Fakes.DiscordToken];

    protected override FakeAnswer? DisablingAnswer => FakeAnswer.DiscordUnknownWebhook;

    protected override FakeAnswer? PermanentAnswer => FakeAnswer.DiscordBadRequest;

    [Fact]
    public void Default_message_has_content_an_embed_and_no_mentions()
    {
        var body = Kit.Body(Destination(), FormatKit.Event(EventTypes.Completed));

        Assert.Equal("**build-17** completed", body.GetProperty("content").GetString());
        Assert.Equal(0, body.GetProperty("allowed_mentions").GetProperty("parse").GetArrayLength());
        var embed = body.GetProperty("embeds")[0];
        Assert.Equal("build-17", embed.GetProperty("title").GetString());
        Assert.Equal("https://push.example.com/#/tasks/build-17", embed.GetProperty("url").GetString());
        Assert.Equal("Status: completed · task.completed · seq 42", embed.GetProperty("description").GetString());
    }

    [Fact]
    public void Markdown_in_event_text_is_escaped_and_mentions_stay_disabled_with_a_template()
    {
        var stored = FormatKit.Event(EventTypes.Failed, new { error = "@everyone **boom** `x`" });

        var body = Kit.Body(Destination("**{{ task_id }}** failed: {{ error }}"), stored);

        Assert.Equal(@"**build-17** failed: @everyone \*\*boom\*\* \`x\`", body.GetProperty("content").GetString());
        Assert.Equal(0, body.GetProperty("allowed_mentions").GetProperty("parse").GetArrayLength());
        Assert.False(body.TryGetProperty("embeds", out _));
    }

    [Fact]
    public void Content_is_cut_at_2000_without_splitting_a_surrogate_pair()
    {
        // 1995 ASCII characters then emoji (two UTF-16 units each): a naive cut lands inside a pair.
        var stored = FormatKit.Event(EventTypes.Failed, new { message = new string('a', 1995) + string.Concat(Enumerable.Repeat("😀", 20)) });

        var content = Kit.Body(Destination("{{ data.message }}"), stored).GetProperty("content").GetString()!;

        Assert.True(content.Length <= DiscordFormat.MaxContent, $"{content.Length} characters");
        Assert.EndsWith("…", content, StringComparison.Ordinal);
        Assert.False(char.IsHighSurrogate(content[^2]), "a surrogate pair was split");
        Assert.Equal(content, string.Concat(content.EnumerateRunes()));
    }

    [Fact]
    public async Task Rate_limited_with_only_a_body_is_deferred_by_its_fractional_retry_after()
    {
        Fakes.Enqueue(FakeAnswer.DiscordRateLimited(0.529, withHeader: false));

        var attempt = await Kit.SendAsync(Destination());

        Assert.Equal(VerdictKind.RetryAt, attempt.Verdict.Kind);
        Assert.Equal(FormatKit.Start.AddSeconds(0.529), attempt.Verdict.RetryAt);
    }

    [Fact]
    public async Task Rate_limited_with_a_retry_after_header_uses_the_header()
    {
        Fakes.Enqueue(FakeAnswer.DiscordRateLimited(1.5, withHeader: true));

        var attempt = await Kit.SendAsync(Destination());

        Assert.Equal(FormatKit.Start.AddSeconds(2), attempt.Verdict.RetryAt);
    }

    [Fact]
    public async Task An_empty_bucket_paces_the_next_request_until_its_reset()
    {
        var destination = Destination();
        var rule = destination.Format.Pacing(destination)!;
        Fakes.Enqueue(FakeAnswer.DiscordOk(remaining: 3), FakeAnswer.DiscordOk(remaining: 0, resetAfter: 1.25));

        Assert.True(Kit.Pacer.TryAcquire(rule, out _));
        await Kit.SendAsync(destination);
        // Discord paces by its headers alone: with requests left in the bucket, the next may go at once.
        Assert.True(Kit.Pacer.TryAcquire(rule, out _));
        await Kit.SendAsync(destination);

        Assert.False(Kit.Pacer.TryAcquire(rule, out var notBefore));
        Assert.Equal(FormatKit.Start.AddSeconds(1.25), notBefore);
        Kit.Time.Advance(TimeSpan.FromSeconds(1.25));
        Assert.True(Kit.Pacer.TryAcquire(rule, out _));
    }

    [Fact]
    public async Task A_429_holds_the_webhook_for_other_deliveries_too()
    {
        var destination = Destination();
        Fakes.Enqueue(FakeAnswer.DiscordRateLimited(3, withHeader: true));

        await Kit.SendAsync(destination);

        Assert.False(Kit.Pacer.TryAcquire(destination.Format.Pacing(destination)!, out var notBefore));
        Assert.Equal(FormatKit.Start.AddSeconds(3), notBefore);
    }

    [Fact]
    public void The_token_is_masked_and_the_id_kept()
    {
        var destination = Kit.Destination("discord", "https://discord.com/api/webhooks/112233445566778899/" + Fakes.DiscordToken);
        Assert.Equal("https://discord.com/api/webhooks/112233445566778899/****", destination.MaskedAddress);
    }

    [Fact]
    public void A_url_that_is_not_a_discord_webhook_is_refused()
    {
        var (_, errors) = Kit.Check("discord", "https://discord.com/channels/1/2");
        Assert.Contains("Discord webhook URL", errors.ToDictionary()["url"][0], StringComparison.Ordinal);
    }
}
