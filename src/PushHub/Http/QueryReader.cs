using System.Globalization;
using PushHub.Hub;

namespace PushHub.Http;

/// <summary>
/// Reads query parameters strictly: a value outside its documented range, a repeated single-valued parameter or
/// an unknown parameter is an error that names it, never silently clamped or ignored.
/// </summary>
public sealed class QueryReader(IQueryCollection query, ValidationErrors errors)
{
    public ValidationErrors Errors { get; } = errors;

    /// <summary>Reports every parameter not in <paramref name="allowed"/>.</summary>
    public QueryReader AllowOnly(params string[] allowed)
    {
        foreach (var key in query.Keys)
        {
            // access_token is how browsers authenticate where they cannot send a header.
            if (key != "access_token" && Array.IndexOf(allowed, key) < 0)
            {
                Errors.Add(key, $"is not a parameter of this endpoint; use {string.Join(", ", allowed)}");
            }
        }
        return this;
    }

    public long? Long(string name, long min, long max)
    {
        if (Single(name) is not { } text)
        {
            return null;
        }
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Errors.Add(name, $"must be a whole number from {min} to {max}; got '{Shorten(text)}'");
            return null;
        }
        return value;
    }

    public int? Int(string name, int min, int max) => (int?)Long(name, min, max);

    /// <summary>Every value of a repeatable parameter, each checked with <paramref name="isValid"/>.</summary>
    public IReadOnlyList<string>? Many(string name, Func<string, bool> isValid, string rule)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return null;
        }
        var result = new List<string>(values.Count);
        foreach (var value in values)
        {
            if (value is null || !isValid(value))
            {
                Errors.Add(name, $"{rule}; got '{Shorten(value)}'");
            }
            else
            {
                result.Add(value);
            }
        }
        return result;
    }

    public string? Single(string name)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return null;
        }
        if (values.Count > 1)
        {
            Errors.Add(name, "may be given only once");
            return null;
        }
        return values[0];
    }

    private static string Shorten(string? text) =>
        text is null ? "" : text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");
}
