using System.Net;
using Microsoft.Extensions.Options;
using MimeKit;

namespace PushHub.Webhooks.Formats;

/// <summary>
/// Email to the addresses of a <c>mailto:a@example.com,b@example.com</c> URL, through the relay in <c>Email:Smtp</c>:
/// a subject line, a plain-text part (the template as rendered) and an HTML part (the same text HTML-encoded,
/// with the task link). SMTP 2xx is delivered, 4xx retries, 5xx is permanent.
/// </summary>
internal sealed class EmailFormat(IOptions<EmailOptions> options) : NotificationFormat
{
    public const string Scheme = "mailto:";
    public const int MaxRecipients = 20;
    private const int MaxSubject = 200;

    private readonly EmailOptions _options = options.Value;

    public override string Name => "email";

    public override bool IsEmail => true;

    /// <summary>The plain part is not escaped; the HTML part encodes the whole rendering.</summary>
    public override System.Text.Encodings.Web.TextEncoder TemplateEncoder => Fluid.NullEncoder.Default;

    public override OutgoingMessage CreateMessage(NotificationEvent notification, NotificationDestination destination, DateTimeOffset now)
    {
        var recipients = ParseRecipients(destination.Address, out _)!;
        var text = Text(notification, destination, DefaultText);
        var message = new MimeMessage();
        // Sending needs Email:From (checked at start with Email:Smtp:Host); a preview without it shows a placeholder sender.
        message.From.Add(MailboxAddress.Parse(_options.From ?? "PushHub <pushhub@example.invalid>"));
        message.To.AddRange(recipients);
        message.Subject = TextLimit.Truncate(notification.Headline.ReplaceLineEndings(" "), MaxSubject, TextMarkup.Plain);
        message.Date = notification.Timestamp;
        message.Headers.Add("X-PushHub-Task", notification.TaskId);
        message.Headers.Add("X-PushHub-Event", notification.Type);
        message.Body = new BodyBuilder { TextBody = text, HtmlBody = Html(text, notification.Link) }.ToMessageBody();
        return new EmailOutgoing(message, recipients);
    }

    /// <summary>SMTP reply codes: 2xx delivered, 4xx (mailbox busy, greylisted, try later) transient, 5xx permanent.</summary>
    public override DeliveryVerdict Classify(DeliveryAnswer answer, DateTimeOffset now)
    {
        var reason = answer.Status is { } code ? $"SMTP {code}: {answer.Body}".TrimEnd(' ', ':') : answer.Describe();
        return answer.Status switch
        {
            >= 200 and < 300 => DeliveryVerdict.Delivered,
            >= 500 and < 600 => DeliveryVerdict.Permanent(reason),
            _ => DeliveryVerdict.Transient(reason),
        };
    }

    /// <summary>
    /// The addresses of a <c>mailto:</c> URL (RFC 6068: comma-separated, percent-encoded); null with
    /// <paramref name="error"/> when one is not an address, there are none or too many, or it has header fields.
    /// </summary>
    public static IReadOnlyList<MailboxAddress>? ParseRecipients(string url, out string? error)
    {
        error = null;
        if (!url.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            error = "must be a mailto: URL such as mailto:ops@example.com,lead@example.com";
            return null;
        }
        var rest = url[Scheme.Length..];
        if (rest.Contains('?'))
        {
            error = "must be only addresses (mailto:a@example.com,b@example.com): header fields such as ?subject= are not used";
            return null;
        }
        var addresses = new List<MailboxAddress>();
        foreach (var part in rest.Split(',', StringSplitOptions.TrimEntries))
        {
            var text = WebUtility.UrlDecode(part.Replace("+", "%2B", StringComparison.Ordinal));
            if (!MailboxAddress.TryParse(text, out var address) || address.Address != text || !IsAddress(text))
            {
                error = "must list addresses such as mailto:ops@example.com,lead@example.com; one of them is not an email address";
                return null;
            }
            if (!addresses.Any(a => a.Address.Equals(address.Address, StringComparison.OrdinalIgnoreCase)))
            {
                addresses.Add(address);
            }
        }
        if (addresses.Count is 0 or > MaxRecipients)
        {
            error = $"must list 1 to {MaxRecipients} addresses";
            return null;
        }
        return addresses;
    }

    private static bool IsAddress(string text)
    {
        var at = text.LastIndexOf('@');
        return at > 0 && at < text.Length - 1 && !text.AsSpan(at + 1).Contains('@') && text.AsSpan(at + 1).Contains('.')
               && !text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));
    }

    private static string DefaultText(NotificationEvent notification)
    {
        var text = notification.Headline + "\n\n" + notification.Facts + "\nat " + notification.TimestampText;
        return notification.Link is { } link ? text + "\n\n" + link : text;
    }

    private static string Html(string text, string? link)
    {
        var body = WebUtility.HtmlEncode(text).ReplaceLineEndings("<br>\n");
        var open = link is null ? "" : $"<p><a href=\"{WebUtility.HtmlEncode(link)}\">Open in PushHub</a></p>\n";
        return $"<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif\">\n<p>{body}</p>\n{open}</body></html>\n";
    }
}
