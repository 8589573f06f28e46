using System.Text;
using System.Text.Json;

namespace PushHub.Cli.Hub;

/// <summary>Turns an RFC 7807 problem body into one line: the hub's <c>detail</c>, then every field error.</summary>
public static class ProblemText
{
    /// <summary>The sentence, or null when <paramref name="body"/> is not a problem with a detail or errors.</summary>
    public static string? From(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            var text = new StringBuilder();
            if (root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String)
            {
                text.Append(detail.GetString());
            }
            else if (root.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String)
            {
                text.Append(title.GetString()).Append('.');
            }
            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
            {
                var fields = errors.EnumerateObject()
                    .Select(field => $"{field.Name} {string.Join("; ", Messages(field.Value))}").ToList();
                // A single error is already the detail; list them when there are more to fix.
                if (fields.Count > 1)
                {
                    text.Append(" Fix: ").Append(string.Join("; ", fields)).Append('.');
                }
            }
            return text.Length > 0 ? text.ToString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IEnumerable<string?> Messages(JsonElement value) => value.ValueKind == JsonValueKind.Array
        ? value.EnumerateArray().Select(message => message.ValueKind == JsonValueKind.String ? message.GetString() : message.GetRawText())
        : [value.GetRawText()];
}
