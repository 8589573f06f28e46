namespace PushHub.Webhooks.Formats;

/// <summary>
/// Microsoft Teams through a Power Automate Workflows trigger ("Post to a channel when a webhook request is
/// received"; Office 365 connectors are retired): a message with one Adaptive Card 1.4 attachment. The flow
/// answers 200 or 202; 404 means the flow is gone and disables the webhook. The URL's <c>sig</c> is its secret.
/// </summary>
internal sealed class TeamsFormat : NotificationFormat
{
    private static readonly int[] s_disable = [404];

    public override string Name => "teams";

    /// <summary>Adaptive Card text blocks read a Markdown subset: values are escaped, the template's text may use it.</summary>
    public override System.Text.Encodings.Web.TextEncoder TemplateEncoder => MarkupEncoder.TeamsMarkdown;

    public override OutgoingMessage CreateMessage(NotificationEvent notification, NotificationDestination destination, DateTimeOffset now)
    {
        var escape = MarkupEncoder.TeamsMarkdown;
        object[] body = destination.Template is not null
            ? [TextBlock(Text(notification, destination, _ => ""))]
            :
            [
                new { type = "TextBlock", text = escape.Escape(notification.Headline), weight = "Bolder", size = "Medium", wrap = true },
                new { type = "TextBlock", text = escape.Escape(notification.Facts), isSubtle = true, spacing = "None", wrap = true },
            ];
        object[]? actions = notification.Link is { } link ? [new { type = "Action.OpenUrl", title = "Open in PushHub", url = link }] : null;
        var card = new Dictionary<string, object?>
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["body"] = body,
            ["actions"] = actions,
            ["msteams"] = new { width = "Full" },
        };
        if (actions is null)
        {
            card.Remove("actions");
        }
        return PostJson(destination, new
        {
            type = "message",
            attachments = new object[] { new { contentType = "application/vnd.microsoft.card.adaptive", content = card } },
        });
    }

    public override DeliveryVerdict Classify(DeliveryAnswer answer, DateTimeOffset now) => ClassifyHttp(answer, now, s_disable);

    /// <summary>The trigger URL with its <c>sig</c> masked; <c>api-version</c>, <c>sp</c> and <c>sv</c> say nothing secret.</summary>
    public override string MaskAddress(NotificationDestination destination) =>
        UrlMask.Mask(destination.Url!, (_, _, segment) => segment, IsSecretQuery);

    public override IEnumerable<string> SecretParts(NotificationDestination destination) => UrlMask.QueryValues(destination.Url!, IsSecretQuery);

    private static bool IsSecretQuery(string name) => name is not ("api-version" or "sp" or "sv");

    private static object TextBlock(string text) => new { type = "TextBlock", text, wrap = true };
}
