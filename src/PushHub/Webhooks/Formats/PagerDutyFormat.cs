using System.Text.Json;
using System.Text.RegularExpressions;
using PushHub.Hub;

namespace PushHub.Webhooks.Formats;

/// <summary>
/// PagerDuty Events API v2 (<c>https://events.pagerduty.com/v2/enqueue</c>, <c>options.routing_key</c>): a failed or
/// stuck task triggers an alert and a completed or cancelled one resolves it, with the task id as
/// <c>dedup_key</c> so that both land on the same alert. PagerDuty answers 202; 400 is an event it will never
/// accept (dead letter at once); 429 when a routing key sends more than its limit (about 120 a minute), so
/// requests are paced to 2 a second per routing key. Events API v2 has no action for the other types.
/// </summary>
internal sealed partial class PagerDutyFormat : NotificationFormat
{
    private const int MaxSummary = 1024;

    private static readonly int[] s_disable = [];

    private static readonly IReadOnlyList<string> s_types = [EventTypes.Failed, EventTypes.Stuck, EventTypes.Completed, EventTypes.Cancelled];

    private static readonly IReadOnlyList<FormatOption> s_options =
    [
        new("routing_key", Required: true, Secret: true,
            "must be the 32-character integration key of an Events API v2 integration (Service → Integrations)",
            value => RoutingKey().IsMatch(value)),
        new("severity", Required: false, Secret: false, "must be critical, error, warning or info",
            value => value is "critical" or "error" or "warning" or "info"),
        new("source", Required: false, Secret: false, "must be 1 to 255 characters naming the affected system",
            value => value.Length is >= 1 and <= 255),
    ];

    public override string Name => "pagerduty";

    public override IReadOnlyList<string>? DefaultTypes => s_types;

    /// <summary>Only these types map to an Events API action: trigger for failed and stuck, resolve for completed and cancelled.</summary>
    public override IReadOnlyList<string>? SupportedTypes => s_types;

    public override IReadOnlyList<FormatOption> Options => s_options;

    /// <summary>A summary is plain text: nothing to escape.</summary>
    public override System.Text.Encodings.Web.TextEncoder TemplateEncoder => Fluid.NullEncoder.Default;

    public override OutgoingMessage CreateMessage(NotificationEvent notification, NotificationDestination destination, DateTimeOffset now)
    {
        var routingKey = destination.Option("routing_key")!;
        if (notification.Type is EventTypes.Completed or EventTypes.Cancelled)
        {
            return PostJson(destination, new { routing_key = routingKey, event_action = "resolve", dedup_key = notification.TaskId });
        }
        if (notification.Type is not (EventTypes.Failed or EventTypes.Stuck))
        {
            throw new TemplateRenderException($"the pagerduty format sends only {string.Join(", ", s_types)}, not {notification.Type}");
        }
        var summary = Text(notification, destination, n => n.Headline).ReplaceLineEndings(" ").Trim();
        return PostJson(destination, new
        {
            routing_key = routingKey,
            event_action = "trigger",
            dedup_key = notification.TaskId,
            client = "PushHub",
            client_url = notification.Link,
            links = notification.Link is { } link ? new object[] { new { href = link, text = "Open in PushHub" } } : null,
            payload = new
            {
                summary = TextLimit.Truncate(summary.Length == 0 ? notification.Headline : summary, MaxSummary, TextMarkup.Plain),
                source = destination.Option("source") ?? "pushhub",
                severity = destination.Option("severity") ?? (notification.Type == EventTypes.Stuck ? "warning" : "error"),
                timestamp = notification.TimestampText,
                @class = notification.Type,
                custom_details = new
                {
                    task_id = notification.TaskId,
                    seq = notification.Seq,
                    status = notification.Status,
                    percent = notification.Percent,
                    message = notification.Message,
                    error = notification.Error,
                    data = notification.Data,
                },
            },
        });
    }

    public override DeliveryVerdict Classify(DeliveryAnswer answer, DateTimeOffset now)
    {
        var verdict = ClassifyHttp(answer, now, s_disable);
        // 400 explains itself: {"status":"invalid event","message":"Event object is invalid","errors":["…"]}.
        return answer.Status == 400 && Errors(answer.Body) is { } errors ? verdict with { Reason = $"answered 400: {errors}" } : verdict;
    }

    public override PacingRule? Pacing(NotificationDestination destination) =>
        Rule(destination.Option("routing_key")!, TimeSpan.FromMilliseconds(500));

    private static string? Errors(string? body)
    {
        try
        {
            using var json = JsonDocument.Parse(body ?? "");
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            var message = root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            var errors = root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Array
                ? string.Join("; ", e.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()))
                : null;
            return string.Join(": ", new[] { message, errors }.Where(s => !string.IsNullOrEmpty(s)));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9]{20,64}$")]
    private static partial Regex RoutingKey();
}
