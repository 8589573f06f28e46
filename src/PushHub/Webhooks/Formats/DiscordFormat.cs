using System.Text.Json;
using System.Text.RegularExpressions;

namespace PushHub.Webhooks.Formats;

/// <summary>
/// Discord webhooks (<c>POST /api/webhooks/{id}/{token}</c>): <c>content</c> of at most 2000 characters, an embed
/// with the details, and <c>allowed_mentions: {"parse": []}</c> so that no event can ping @everyone or a role.
/// Discord paces by its headers (<c>X-RateLimit-Remaining: 0</c> and <c>X-RateLimit-Reset-After</c> seconds),
/// answers 429 with <c>Retry-After</c> and a JSON <c>retry_after</c> (seconds, fractional), and 404 (Unknown
/// Webhook) or 401 (Invalid Webhook Token) for a deleted webhook, which disables it.
/// </summary>
internal sealed partial class DiscordFormat : NotificationFormat
{
    public const int MaxContent = 2000;
    private const int MaxTitle = 256;

    private static readonly int[] s_disable = [401, 404];

    public override string Name => "discord";

    /// <summary>Values are Markdown-escaped; the template's own text may use Discord Markdown.</summary>
    public override System.Text.Encodings.Web.TextEncoder TemplateEncoder => MarkupEncoder.DiscordMarkdown;

    public override OutgoingMessage CreateMessage(NotificationEvent notification, NotificationDestination destination, DateTimeOffset now)
    {
        var mentions = new { parse = Array.Empty<string>() };
        if (destination.Template is not null)
        {
            var content = TextLimit.Truncate(Text(notification, destination, _ => ""), MaxContent, TextMarkup.Plain);
            return PostJson(destination, new { content, allowed_mentions = mentions });
        }
        var escape = MarkupEncoder.DiscordMarkdown;
        var headline = "**" + escape.Escape(notification.TaskId) + "**" + escape.Escape(notification.Headline[notification.TaskId.Length..]);
        return PostJson(destination, new
        {
            content = TextLimit.Truncate(headline, MaxContent, TextMarkup.Plain),
            embeds = new object[]
            {
                new
                {
                    title = TextLimit.Truncate(notification.TaskId, MaxTitle, TextMarkup.Plain),
                    url = notification.Link,
                    description = notification.Facts,
                    color = Color(notification.Status),
                    timestamp = notification.TimestampText,
                },
            },
            allowed_mentions = mentions,
        });
    }

    public override DeliveryVerdict Classify(DeliveryAnswer answer, DateTimeOffset now)
    {
        if (answer.Status == 429 && (answer.RetryAfter(now) ?? BodyRetryAfter(answer)) is { } delay)
        {
            return DeliveryVerdict.At(now + delay, answer.Describe());
        }
        return ClassifyHttp(answer, now, s_disable);
    }

    /// <summary>No fixed interval: Discord's own headers say when a webhook's bucket is empty.</summary>
    public override PacingRule? Pacing(NotificationDestination destination) => Rule(destination.Address, TimeSpan.Zero);

    public override string? CheckUrl(Uri url) => WebhookPath().IsMatch(url.AbsolutePath) ? null
        : "must be a Discord webhook URL such as https://discord.com/api/webhooks/{id}/{token} (Server Settings → Integrations → Webhooks → Copy Webhook URL)";

    /// <summary><c>https://discord.com/api/webhooks/123/****</c>: the id stays, the token never shows.</summary>
    public override string MaskAddress(NotificationDestination destination) =>
        UrlMask.Mask(destination.Url!, (index, count, segment) => index == count - 1 ? UrlMask.Hidden : segment, name => name != "wait" && name != "thread_id");

    public override IEnumerable<string> SecretParts(NotificationDestination destination) =>
        [destination.Url!.AbsolutePath.TrimEnd('/').Split('/')[^1]];

    private static TimeSpan? BodyRetryAfter(DeliveryAnswer answer)
    {
        try
        {
            using var body = JsonDocument.Parse(answer.Body ?? "");
            return body.RootElement.ValueKind == JsonValueKind.Object
                   && body.RootElement.TryGetProperty("retry_after", out var value) && value.TryGetDouble(out var seconds)
                ? DeliveryAnswer.ClampDelay(seconds)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static int Color(string? status) => status switch
    {
        "completed" => 0x2EB67D,
        "failed" => 0xE01E5A,
        "stuck" => 0xECB22E,
        "cancelled" => 0x868686,
        _ => 0x36C5F0,
    };

    [GeneratedRegex(@"^/api(/v\d+)?/webhooks/\d+/[A-Za-z0-9_\-]+/?$")]
    private static partial Regex WebhookPath();
}
