using PushHub.Hub;
using PushHub.Tests.Infrastructure;
using PushHub.Webhooks.Formats;

namespace PushHub.Tests.Webhooks.Formats;

public sealed class SlackFormatTests : NotificationFormatSpec
{
    protected override string Format => "slack";

    protected override string Url => Fakes.SlackUrl;

    protected override IReadOnlyList<string> Secrets => [Fakes.SlackToken];

    protected override FakeAnswer? DisablingAnswer => FakeAnswer.SlackChannelArchived;

    protected override FakeAnswer? PermanentAnswer => FakeAnswer.SlackInvalidPayload;

    [Fact]
    public void A_second_error_on_a_field_already_in_error_still_fails_validation()
    {
        // As the API's body reading leaves it for a url it could not read as a string.
        var errors = new ValidationErrors();
        errors.Add("url", "must be a string");

        var destination = Kit.Formats.Validate(new DestinationInput("slack", "https://hooks.slack.com/hooks/x", null, null, null), errors);

        Assert.Null(destination);
        Assert.Equal(2, errors.ToDictionary()["url"].Length);
        Assert.Contains("incoming-webhook URL", errors.ToDictionary()["url"][1], StringComparison.Ordinal);
    }

    [Fact]
    public void Default_message_has_text_and_blocks_with_the_task_linked()
    {
        var body = Kit.Body(Destination(), FormatKit.Event(EventTypes.Failed, new { error = "out of memory" }));

        Assert.Equal("build-17 failed: out of memory", body.GetProperty("text").GetString());
        var blocks = body.GetProperty("blocks");
        Assert.Equal("section", blocks[0].GetProperty("type").GetString());
        Assert.Equal("mrkdwn", blocks[0].GetProperty("text").GetProperty("type").GetString());
        Assert.Equal("*<https://push.example.com/#/tasks/build-17|build-17>* failed: out of memory", blocks[0].GetProperty("text").GetProperty("text").GetString());
        Assert.Equal("context", blocks[1].GetProperty("type").GetString());
        Assert.Equal("Status: failed · task.failed · seq 42", blocks[1].GetProperty("elements")[0].GetProperty("text").GetString());
    }

    [Fact]
    public void Progress_reads_as_percent_and_message()
    {
        var body = Kit.Body(Destination(), FormatKit.Event(EventTypes.Progress, new { percent = 40, message = "Compiling" }));
        Assert.Equal("build-17 40 % Compiling", body.GetProperty("text").GetString());
    }

    [Fact]
    public void Event_text_is_escaped_for_mrkdwn_in_defaults_and_templates()
    {
        var stored = FormatKit.Event(EventTypes.Failed, new { error = "<!channel> a & b > c" });

        var plain = Kit.Body(Destination(), stored);
        var templated = Kit.Body(Destination("*{{ task_id }}*: {{ error }} <{{ link }}|open>"), stored);

        Assert.Equal("build-17 failed: &lt;!channel&gt; a &amp; b &gt; c", plain.GetProperty("text").GetString());
        Assert.Equal("*build-17*: &lt;!channel&gt; a &amp; b &gt; c <https://push.example.com/#/tasks/build-17|open>", templated.GetProperty("text").GetString());
        Assert.Equal(templated.GetProperty("text").GetString(), templated.GetProperty("blocks")[0].GetProperty("text").GetProperty("text").GetString());
    }

    [Fact]
    public void Long_text_is_cut_at_3000_without_splitting_an_entity()
    {
        var stored = FormatKit.Event(EventTypes.Failed, new { error = new string('&', 2000) });

        var text = Kit.Body(Destination(), stored).GetProperty("text").GetString()!;

        Assert.True(text.Length <= SlackFormat.MaxText);
        Assert.EndsWith("&amp;…", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rate_limited_is_deferred_to_retry_after_without_counting_as_a_failure()
    {
        Fakes.Enqueue(FakeAnswer.SlackRateLimited(30));

        var attempt = await Kit.SendAsync(Destination());

        Assert.Equal(VerdictKind.RetryAt, attempt.Verdict.Kind);
        Assert.Equal(FormatKit.Start.AddSeconds(30), attempt.Verdict.RetryAt);
        Assert.False(attempt.Verdict.IsEndpointFailure);
    }

    [Theory]
    [InlineData(403, "invalid_token")]
    [InlineData(404, "no_service")]
    [InlineData(410, "channel_is_archived")]
    public async Task A_webhook_slack_no_longer_knows_is_disabled(int status, string body)
    {
        Fakes.Enqueue(new FakeAnswer(status, body, "text/html"));

        var attempt = await Kit.SendAsync(Destination());

        Assert.Equal(VerdictKind.Disable, attempt.Verdict.Kind);
        Assert.Contains(body, attempt.Error!, StringComparison.Ordinal);
    }

    [Fact]
    public void A_slack_url_is_shown_as_ids_by_their_initial_and_the_token_masked()
    {
        var destination = Kit.Destination("slack", "https://hooks.slack.com/services/T0123ABCD/B0456EFGH/AbCdEfGhIjKlMnOpQrStUvWx");

        Assert.Equal("https://hooks.slack.com/services/T…/B…/****", destination.MaskedAddress);
    }

    [Fact]
    public void A_hooks_slack_com_url_of_another_shape_is_refused()
    {
        var (_, errors) = Kit.Check("slack", "https://hooks.slack.com/workflows/abc");
        Assert.Contains("Slack incoming-webhook URL", errors.ToDictionary()["url"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Mattermost_style_urls_are_accepted_and_masked()
    {
        var destination = Kit.Destination("slack", "https://chat.example.com/hooks/xx3kzq8w9bfx7ytd5m9tn3e6ra");
        Assert.Equal("https://chat.example.com/hooks/****", destination.MaskedAddress);
    }

    [Fact]
    public void Slack_is_paced_to_one_message_a_second_per_webhook()
    {
        var destination = Destination();
        var rule = destination.Format.Pacing(destination)!;
        var other = Kit.Destination("slack", Fakes.BaseUrl + "/services/T1/B2/another-token-123");

        Assert.True(Kit.Pacer.TryAcquire(rule, out _));
        Assert.False(Kit.Pacer.TryAcquire(rule, out var notBefore));
        Assert.Equal(FormatKit.Start.AddSeconds(1), notBefore);
        Assert.True(Kit.Pacer.TryAcquire(other.Format.Pacing(other)!, out _));
        Kit.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(Kit.Pacer.TryAcquire(rule, out _));
        Assert.DoesNotContain(Fakes.SlackToken, rule.Key, StringComparison.Ordinal);
    }
}
