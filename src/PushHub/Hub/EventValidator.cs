using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace PushHub.Hub;

/// <summary>Checks publish requests against the contract's event rules and turns them into <see cref="EventInput"/>.</summary>
public sealed partial class EventValidator(IOptions<LimitsOptions> limits)
{
    /// <summary>Relaxed escaping keeps non-ASCII text as UTF-8; control characters (CR, LF) are still escaped,
    /// so stored JSON never holds a raw line break that would split an SSE <c>data:</c> line.</summary>
    internal static readonly JsonWriterOptions s_writerOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = false,
    };

    private static readonly byte[] s_emptyObject = "{}"u8.ToArray();

    private const int MaxIdempotencyKeyLength = 255;

    private readonly LimitsOptions _limits = limits.Value;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$", RegexOptions.CultureInvariant)]
    public static partial Regex TaskIdPattern();

    [GeneratedRegex("^[a-z][a-z0-9_-]*(\\.[a-z0-9_-]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex TypePattern();

    public static bool IsValidTaskId(string? value) => value is not null && TaskIdPattern().IsMatch(value);

    public static bool IsValidType(string? value) => value is { Length: > 0 and <= 64 } && TypePattern().IsMatch(value);

    public const string TaskIdRule = "must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$ (a letter or digit, then up to 127 letters, digits, '.', '_', ':' or '-')";

    public const string TypeRule = "must be a lowercase dotted name of at most 64 characters, such as task.progress";

    /// <summary>
    /// Validates one event object. Errors are added under <paramref name="prefix"/> + field name
    /// (<c>task_id</c>, or <c>[3].task_id</c> for an item of a batch).
    /// </summary>
    public EventInput? Validate(JsonElement item, string prefix, ValidationErrors errors)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            errors.Add(prefix.Length == 0 ? "body" : prefix.TrimEnd('.'), "must be a JSON object with task_id, type and data");
            return null;
        }

        string? taskId = null, type = null, idempotencyKey = null;
        JsonElement? data = null;
        var before = errors.Count;
        foreach (var property in item.EnumerateObject())
        {
            switch (property.Name)
            {
                case "task_id":
                    taskId = ReadString(property.Value, prefix, "task_id", errors);
                    if (taskId is not null && !IsValidTaskId(taskId))
                    {
                        errors.Add(prefix + "task_id", TaskIdRule);
                    }
                    break;
                case "type":
                    type = ReadString(property.Value, prefix, "type", errors);
                    if (type is not null && !IsValidType(type))
                    {
                        errors.Add(prefix + "type", TypeRule);
                    }
                    break;
                case "data":
                    if (property.Value.ValueKind is JsonValueKind.Object)
                    {
                        data = property.Value;
                    }
                    else if (property.Value.ValueKind is not JsonValueKind.Null)
                    {
                        errors.Add(prefix + "data", "must be a JSON object (or left out)");
                    }
                    break;
                case "idempotency_key":
                    idempotencyKey = ReadString(property.Value, prefix, "idempotency_key", errors);
                    if (idempotencyKey is not null && !IsValidIdempotencyKey(idempotencyKey))
                    {
                        errors.Add(prefix + "idempotency_key", $"must be 1 to {MaxIdempotencyKeyLength} printable ASCII characters");
                    }
                    break;
                case "seq" or "timestamp":
                    errors.Add(prefix + property.Name, "is assigned by the hub; leave it out");
                    break;
                default:
                    errors.Add(prefix + property.Name, "is not a field of an event; send task_id, type, data and optionally idempotency_key");
                    break;
            }
        }

        if (taskId is null && !errors.Contains(prefix + "task_id"))
        {
            errors.Add(prefix + "task_id", "is required");
        }
        if (type is null && !errors.Contains(prefix + "type"))
        {
            errors.Add(prefix + "type", "is required");
        }

        double? percent = null;
        string? message = null;
        if (data is { } d)
        {
            percent = ReadPercent(d, prefix, errors);
            message = ReadMessage(d, prefix, errors);
        }
        if (type == EventTypes.Progress && percent is null && !errors.Contains(prefix + "data.percent"))
        {
            errors.Add(prefix + "data.percent", "is required for task.progress: a number from 0 to 100");
        }

        if (errors.Count > before)
        {
            return null;
        }

        byte[] dataJson;
        try
        {
            dataJson = data is { } value ? Serialize(value) : s_emptyObject;
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException)
        {
            // A string escaping a lone surrogate ("\ud800") parses but cannot be written back as UTF-8.
            errors.Add(prefix + "data", "holds text that is not valid Unicode: it escapes a lone surrogate");
            return null;
        }
        var size = StoredEvent.MaxSize(taskId!, type!, dataJson.Length);
        if (size > _limits.MaxEventBytes)
        {
            errors.AddTooLarge(prefix.Length == 0 ? "data" : prefix + "data",
                $"makes the event {size} bytes; an event may be at most {_limits.MaxEventBytes} bytes (Limits:MaxEventBytes)");
            return null;
        }

        if (type == EventTypes.Completed)
        {
            percent = 100;
        }
        return new EventInput(taskId!, type!, dataJson, idempotencyKey) { Percent = percent, Message = message };
    }

    public static bool IsValidIdempotencyKey(string key)
    {
        if (key.Length is 0 or > MaxIdempotencyKeyLength)
        {
            return false;
        }
        foreach (var c in key)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }
        return true;
    }

    // The field's name comes as prefix and name, joined only for an error: in a batch the prefix is "[3]." and a
    // joined name per field was a string allocated for every field of every valid event.
    private static string? ReadString(JsonElement value, string prefix, string name, ValidationErrors errors)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return GetText(value, prefix, name, errors);
        }
        errors.Add(prefix + name, $"must be a string, not {Describe(value.ValueKind)}");
        return null;
    }

    /// <summary>The string's text, or an error when it escapes a lone surrogate (<c>"\ud800"</c>), which has no text.</summary>
    private static string? GetText(JsonElement value, string prefix, string name, ValidationErrors errors)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            errors.Add(prefix + name, "is not valid Unicode text: it escapes a lone surrogate");
            return null;
        }
    }

    private static double? ReadPercent(JsonElement data, string prefix, ValidationErrors errors)
    {
        if (!data.TryGetProperty("percent", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var percent) || !double.IsFinite(percent))
        {
            errors.Add(prefix + "data.percent", $"must be a number from 0 to 100, not {Describe(value.ValueKind)}");
            return null;
        }
        if (percent is < 0 or > 100)
        {
            errors.Add(prefix + "data.percent", $"must be from 0 to 100; got {value.GetRawText()}");
            return null;
        }
        return percent;
    }

    private static string? ReadMessage(JsonElement data, string prefix, ValidationErrors errors)
    {
        if (!data.TryGetProperty("message", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(prefix + "data.message", $"must be a string, not {Describe(value.ValueKind)}");
            return null;
        }
        return GetText(value, prefix, "data.message", errors);
    }

    private static byte[] Serialize(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            value.WriteTo(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }

    internal static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
