using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PushHub.Hub;

namespace PushHub.Webhooks.Formats;

/// <summary>
/// An event as the notification formats and templates see it: the stored fields, plus what a message says in
/// plain words (status, percent, message, the error of a failure, the dashboard link).
/// </summary>
internal sealed class NotificationEvent
{
    private readonly Uri? _publicUrl;
    // Parsed on first use: the standard format sends the stored bytes and never looks at the data (issue #15).
    private JsonObject? _data;
    private (double? Percent, string? Message, string? Error)? _words;

    private NotificationEvent(HubEvent stored, Uri? publicUrl)
    {
        Stored = stored;
        _publicUrl = publicUrl;
        Status = TaskStatuses.ForEventType(stored.Type);
    }

    /// <summary>The event as committed; <see cref="HubEvent.Json"/> is what the standard format sends byte for byte.</summary>
    public HubEvent Stored { get; }

    public long Seq => Stored.Seq;

    public string TaskId => Stored.TaskId;

    public string Type => Stored.Type;

    public DateTimeOffset Timestamp => Stored.Timestamp;

    /// <summary>The event's <c>data</c> object (empty when absent).</summary>
    public JsonObject Data => _data ??= ParseData(Stored);

    /// <summary>The task state this event's type leads to, or null for a type outside the well-known ones.</summary>
    public string? Status { get; }

    /// <summary><c>data.percent</c>, or 100 for <c>task.completed</c>.</summary>
    public double? Percent => Words.Percent;

    /// <summary><c>data.message</c> when it is a string.</summary>
    public string? Message => Words.Message;

    /// <summary>For <c>task.failed</c>: <c>data.error</c> (or its <c>message</c>), else <c>data.message</c>.</summary>
    public string? Error => Words.Error;

    /// <summary><c>&lt;Hub:PublicUrl&gt;/#/tasks/&lt;id&gt;</c> when <c>Hub:PublicUrl</c> is set.</summary>
    // The dashboard's hash route for one task (wwwroot/js/tasks.js).
    public string? Link => _publicUrl is null ? null : _publicUrl.AbsoluteUri.TrimEnd('/') + "/#/tasks/" + Uri.EscapeDataString(TaskId);

    private (double? Percent, string? Message, string? Error) Words => _words ??= ReadWords(Type, Data);

    /// <summary>The event's timestamp as stored (RFC 3339, UTC, milliseconds).</summary>
    public string TimestampText => Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The percent in plain words: <c>40 %</c>, <c>12.5 %</c>.</summary>
    public string? PercentText => Percent is { } percent ? percent.ToString("0.#", CultureInfo.InvariantCulture) + " %" : null;

    /// <summary>
    /// One line that says what happened: <c>build-17 completed</c>, <c>build-17 failed: out of memory</c>,
    /// <c>build-17 40 % Compiling</c>. Not escaped: each format escapes it for its own markup.
    /// </summary>
    public string Headline => Type switch
    {
        EventTypes.Completed => $"{TaskId} completed" + Suffix(Message),
        EventTypes.Failed => $"{TaskId} failed" + Suffix(Error),
        EventTypes.Progress => $"{TaskId} {PercentText ?? "progress"}" + (Message is { Length: > 0 } m ? " " + m : ""),
        EventTypes.Started => $"{TaskId} started" + Suffix(Message),
        EventTypes.Stuck => $"{TaskId} is stuck" + Suffix(Message),
        EventTypes.Cancelled => $"{TaskId} cancelled" + Suffix(Message),
        EventTypes.Created => $"{TaskId} created" + Suffix(Message),
        EventTypes.Queued => $"{TaskId} queued" + Suffix(Message),
        _ => $"{TaskId} {Type}" + Suffix(Message),
    };

    /// <summary>The facts under the headline: <c>Status: running · 40 % · seq 42</c>.</summary>
    public string Facts
    {
        get
        {
            var builder = new StringBuilder();
            if (Status is not null)
            {
                builder.Append("Status: ").Append(Status).Append(" · ");
            }
            if (PercentText is { } percent && Type != EventTypes.Completed)
            {
                builder.Append(percent).Append(" · ");
            }
            builder.Append(Type).Append(" · seq ").Append(Seq.ToString(CultureInfo.InvariantCulture));
            return builder.ToString();
        }
    }

    /// <summary>Reads a committed event; <paramref name="publicUrl"/> is <c>Hub:PublicUrl</c>.</summary>
    public static NotificationEvent From(HubEvent stored, Uri? publicUrl) => new(stored, publicUrl);

    private static JsonObject ParseData(HubEvent stored) =>
        JsonNode.Parse(stored.Json.Span)?["data"] is JsonObject data ? (JsonObject)data.DeepClone() : [];

    private static (double? Percent, string? Message, string? Error) ReadWords(string type, JsonObject data)
    {
        var message = Text(data["message"]);
        var error = type == EventTypes.Failed ? Text(data["error"]) ?? Text((data["error"] as JsonObject)?["message"]) ?? message : Text(data["error"]);
        return (type == EventTypes.Completed ? 100 : Number(data["percent"]), message, error);
    }

    /// <summary>
    /// The sample event that validation renders a template on (and a test delivery sends): a task
    /// <c>build-17</c> at 40 % with a message and an error, so a template using any of them shows something.
    /// </summary>
    public static NotificationEvent Sample(Uri? publicUrl, DateTimeOffset now, string type = EventTypes.Failed, string taskId = "build-17")
    {
        var timestamp = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
        var stored = new HubEvent(0, taskId, type, timestamp, JsonSerializer.SerializeToUtf8Bytes(new
        {
            seq = 0,
            task_id = taskId,
            type,
            timestamp = timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            data = new { percent = 40, message = "Compiling", error = "out of memory" },
        }));
        return From(stored, publicUrl);
    }

    private static string Suffix(string? text) => text is { Length: > 0 } ? ": " + text : "";

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static double? Number(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? value.GetValue<double>() : null;
}
