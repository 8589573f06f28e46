using System.Text.RegularExpressions;

namespace PushHub.Security;

/// <summary>Task patterns: an exact task id, a prefix ending in <c>*</c> (<c>build-*</c>), or <c>*</c> for every task.</summary>
public static partial class TaskPattern
{
    public const string All = "*";

    public const string Rule = "must be a task id, a task id prefix ending in '*' (such as build-*), or '*' for every task";

    [GeneratedRegex("^(\\*|[A-Za-z0-9][A-Za-z0-9._:-]{0,127}|[A-Za-z0-9][A-Za-z0-9._:-]{0,126}\\*)$", RegexOptions.CultureInvariant)]
    private static partial Regex PatternRegex();

    public static bool IsValid(string? pattern) => pattern is not null && PatternRegex().IsMatch(pattern);

    /// <summary>True when <paramref name="pattern"/> admits the task <paramref name="taskId"/>.</summary>
    public static bool Matches(string pattern, string taskId) =>
        pattern.EndsWith('*')
            ? taskId.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal)
            : string.Equals(pattern, taskId, StringComparison.Ordinal);

    /// <summary>True when every task <paramref name="requested"/> admits is also admitted by <paramref name="pattern"/>.</summary>
    public static bool Covers(string pattern, string requested) =>
        requested.EndsWith('*')
            ? pattern.EndsWith('*') && requested.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal)
            : Matches(pattern, requested);
}
