using System.Globalization;
using System.Text.Json;
using PushHub.Hub;

namespace PushHub.Webhooks.Formats;

/// <summary>
/// One entry of a format's <c>options</c>: its name, whether it must be given, whether it is a secret (write-only:
/// masked wherever options are shown), and its rule.
/// </summary>
internal sealed record FormatOption(string Name, bool Required, bool Secret, string Rule, Func<string, bool> IsValid)
{
    /// <summary>How a secret option is shown: never, not even in part.</summary>
    public const string Mask = "****";

    /// <summary>
    /// Reads <paramref name="options"/> (a JSON object of strings or numbers, or null/absent) against
    /// <paramref name="known"/>; errors are keyed <c>options</c> or <c>options.&lt;name&gt;</c>. Never echoes a value.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Read(JsonElement? options, IReadOnlyList<FormatOption> known, string format, ValidationErrors errors)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (options is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } given)
        {
            if (given.ValueKind != JsonValueKind.Object)
            {
                errors.Add("options", $"must be a JSON object such as {Example(known)}, not {EventValidator.Describe(given.ValueKind)}");
                return values;
            }
            foreach (var property in given.EnumerateObject())
            {
                var field = "options." + property.Name;
                var option = known.FirstOrDefault(o => o.Name == property.Name);
                if (option is null)
                {
                    errors.Add(field, known.Count == 0
                        ? $"is not an option of the {format} format, which takes none"
                        : $"is not an option of the {format} format; it takes {string.Join(", ", known.Select(o => o.Name))}");
                    continue;
                }
                var text = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Number when property.Value.TryGetInt64(out var number) => number.ToString(CultureInfo.InvariantCulture),
                    _ => null,
                };
                if (text is null || !option.IsValid(text))
                {
                    errors.Add(field, option.Rule);
                    continue;
                }
                values[option.Name] = text;
            }
        }
        foreach (var option in known.Where(o => o.Required && !values.ContainsKey(o.Name) && !errors.Contains("options." + o.Name)))
        {
            errors.Add("options." + option.Name, $"is required by the {format} format: {option.Rule}");
        }
        return values;
    }

    /// <summary>The options as the API may show them: secret ones as <see cref="Mask"/>.</summary>
    public static IReadOnlyDictionary<string, string> Masked(IReadOnlyDictionary<string, string> values, IReadOnlyList<FormatOption> known) =>
        values.ToDictionary(pair => pair.Key, pair => known.Any(o => o.Name == pair.Key && o.Secret) ? Mask : pair.Value, StringComparer.Ordinal);

    private static string Example(IReadOnlyList<FormatOption> known) =>
        known.Count == 0 ? "{}" : "{" + string.Join(",", known.Select(o => $"\"{o.Name}\":\"…\"")) + "}";
}
