using System.Text.Json;
using System.Text.RegularExpressions;

namespace PushHub.Webhooks.Formats;

/// <summary>
/// Telegram's Bot API <c>sendMessage</c> (<c>https://api.telegram.org/bot&lt;token&gt;/sendMessage</c>, with
/// <c>options.chat_id</c>): HTML parse mode, values escaped, text cut to 4096 characters. Telegram answers
/// <c>{"ok":false,"error_code":429,"parameters":{"retry_after":N}}</c> when a chat gets more than about one
/// message a second, 400 for a chat it cannot find or text it cannot parse and 403 for a bot blocked or removed
/// (both permanent), 401/404 for a revoked token (disables).
/// </summary>
internal sealed partial class TelegramFormat : NotificationFormat
{
    public const int MaxText = 4096;

    private static readonly int[] s_disable = [401, 404];

    private static readonly IReadOnlyList<FormatOption> s_options =
    [
        new("chat_id", Required: true, Secret: false,
            "must be the chat's numeric id (such as -1001234567890) or a public channel's @username",
            value => ChatId().IsMatch(value)),
        new("message_thread_id", Required: false, Secret: false, "must be the numeric id of a forum topic",
            value => long.TryParse(value, out var id) && id > 0),
    ];

    public override string Name => "telegram";

    public override IReadOnlyList<FormatOption> Options => s_options;

    public override System.Text.Encodings.Web.TextEncoder TemplateEncoder => MarkupEncoder.Html;

    public override OutgoingMessage CreateMessage(NotificationEvent notification, NotificationDestination destination, DateTimeOffset now)
    {
        var text = TextLimit.Truncate(Text(notification, destination, DefaultText), MaxText, TextMarkup.Html);
        var chat = destination.Option("chat_id")!;
        return PostJson(destination, new
        {
            chat_id = long.TryParse(chat, out var id) ? id : (object)chat,
            message_thread_id = destination.Option("message_thread_id") is { } thread ? long.Parse(thread, System.Globalization.CultureInfo.InvariantCulture) : (long?)null,
            text,
            parse_mode = "HTML",
            link_preview_options = new { is_disabled = true },
        });
    }

    public override DeliveryVerdict Classify(DeliveryAnswer answer, DateTimeOffset now)
    {
        var (description, retryAfter) = ReadError(answer.Body);
        var reason = description is null ? answer.Describe() : $"answered {answer.Status}: {description}";
        if (answer.Status == 429 && (retryAfter ?? answer.RetryAfter(now)) is { } delay)
        {
            return DeliveryVerdict.At(now + delay, reason);
        }
        var verdict = ClassifyHttp(answer, now, s_disable);
        return verdict.Reason is null ? verdict : verdict with { Reason = reason };
    }

    public override PacingRule? Pacing(NotificationDestination destination) =>
        Rule(Token(destination.Url!) + "\n" + destination.Option("chat_id"), TimeSpan.FromSeconds(1));

    public override string? CheckUrl(Uri url) => SendMessagePath().IsMatch(url.AbsolutePath) ? null
        : "must be a Telegram sendMessage URL such as https://api.telegram.org/bot<token>/sendMessage, with the token @BotFather gave";

    /// <summary><c>https://api.telegram.org/bot****/sendMessage</c>.</summary>
    public override string MaskAddress(NotificationDestination destination) =>
        UrlMask.Mask(destination.Url!, (index, _, segment) => index == 0 && segment.StartsWith("bot", StringComparison.Ordinal) ? "bot" + UrlMask.Hidden : segment, _ => true);

    public override IEnumerable<string> SecretParts(NotificationDestination destination) => [Token(destination.Url!)];

    private static string DefaultText(NotificationEvent notification)
    {
        var escape = MarkupEncoder.Html;
        var text = "<b>" + escape.Escape(notification.TaskId) + "</b>" + escape.Escape(notification.Headline[notification.TaskId.Length..])
                   + "\n" + escape.Escape(notification.Facts);
        return notification.Link is { } link ? text + $"\n<a href=\"{escape.Escape(link)}\">Open in PushHub</a>" : text;
    }

    private static (string? Description, TimeSpan? RetryAfter) ReadError(string? body)
    {
        try
        {
            using var json = JsonDocument.Parse(body ?? "");
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }
            var description = root.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            var retry = root.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object
                        && p.TryGetProperty("retry_after", out var r) && r.TryGetDouble(out var seconds)
                ? DeliveryAnswer.ClampDelay(seconds)
                : null;
            return (description, retry);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static string Token(Uri url)
    {
        var segment = url.AbsolutePath.TrimStart('/').Split('/')[0];
        return segment.StartsWith("bot", StringComparison.Ordinal) ? Uri.UnescapeDataString(segment[3..]) : segment;
    }

    [GeneratedRegex(@"^/bot\d+:[A-Za-z0-9_\-]+/sendMessage$")]
    private static partial Regex SendMessagePath();

    [GeneratedRegex(@"^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$")]
    private static partial Regex ChatId();
}
