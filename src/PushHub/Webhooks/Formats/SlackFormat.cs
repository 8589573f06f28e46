namespace PushHub.Webhooks.Formats;

/// <summary>
/// Slack incoming webhooks (and the Slack-compatible ones of Mattermost and Rocket.Chat): <c>{"text","blocks"}</c>
/// in mrkdwn. Slack allows about one message per second per webhook; it answers 429 with <c>Retry-After</c>, and
/// 403 (invalid_token, action_prohibited), 404 (channel_not_found, no_service) or 410 (channel_is_archived) when
/// the webhook no longer works, which disables it.
/// </summary>
internal sealed class SlackFormat : NotificationFormat
{
    /// <summary>A section block's text holds at most 3000 characters; the top-level text is kept to the same.</summary>
    public const int MaxText = 3000;

    private static readonly int[] s_disable = [403, 404, 410];

    public override string Name => "slack";

    public override System.Text.Encodings.Web.TextEncoder TemplateEncoder => MarkupEncoder.Slack;

    public override OutgoingMessage CreateMessage(NotificationEvent notification, NotificationDestination destination, DateTimeOffset now)
    {
        if (destination.Template is not null)
        {
            var text = TextLimit.Truncate(Text(notification, destination, _ => ""), MaxText, TextMarkup.Slack);
            return PostJson(destination, new { text, blocks = new object[] { Section(text) } });
        }
        var escape = MarkupEncoder.Slack;
        var name = escape.Escape(notification.TaskId);
        var task = notification.Link is { } link ? $"<{escape.Escape(link)}|{name}>" : name;
        var headline = "*" + task + "*" + escape.Escape(notification.Headline[notification.TaskId.Length..]);
        return PostJson(destination, new
        {
            text = TextLimit.Truncate(escape.Escape(notification.Headline), MaxText, TextMarkup.Slack),
            blocks = new object[]
            {
                Section(TextLimit.Truncate(headline, MaxText, TextMarkup.Slack)),
                new { type = "context", elements = new object[] { new { type = "mrkdwn", text = TextLimit.Truncate(escape.Escape(notification.Facts), MaxText, TextMarkup.Slack) } } },
            },
        });
    }

    public override DeliveryVerdict Classify(DeliveryAnswer answer, DateTimeOffset now) => ClassifyHttp(answer, now, s_disable);

    public override PacingRule? Pacing(NotificationDestination destination) => Rule(destination.Address, TimeSpan.FromSeconds(1));

    public override string? CheckUrl(Uri url)
    {
        var segments = url.AbsolutePath.Trim('/').Split('/');
        if (url.Host.Equals("hooks.slack.com", StringComparison.OrdinalIgnoreCase) && (segments.Length != 4 || segments[0] != "services"))
        {
            return "must be a Slack incoming-webhook URL such as https://hooks.slack.com/services/T…/B…/…, as Slack shows it when the webhook is added";
        }
        return url.AbsolutePath.Trim('/').Length == 0 ? "must have the webhook's path, such as /services/T…/B…/… or /hooks/…" : null;
    }

    /// <summary><c>https://hooks.slack.com/services/T…/B…/****</c>: ids by their first letter, the token never.</summary>
    public override string MaskAddress(NotificationDestination destination) =>
        UrlMask.Mask(destination.Url!, Segment, _ => true);

    public override IEnumerable<string> SecretParts(NotificationDestination destination) =>
        [destination.Url!.AbsolutePath.TrimEnd('/').Split('/')[^1], .. UrlMask.QueryValues(destination.Url!, _ => true)];

    private static string Segment(int index, int count, string segment) =>
        index == count - 1 ? UrlMask.Hidden : index == 0 || !segment.Any(char.IsDigit) ? segment : UrlMask.Initial(segment);

    private static object Section(string text) => new { type = "section", text = new { type = "mrkdwn", text } };
}
