using System.Text;

namespace PushHub.Webhooks.Formats;

/// <summary>Shows a URL with its secret parts masked: scheme, host and port as they are, path segments and query values as a format says.</summary>
internal static class UrlMask
{
    /// <summary>A masked path segment or query value.</summary>
    public const string Hidden = FormatOption.Mask;

    /// <summary>
    /// Rebuilds <paramref name="url"/> with each path segment passed through <paramref name="segment"/> (index,
    /// count, text → shown text) and each query value whose name <paramref name="secretQuery"/> accepts masked.
    /// </summary>
    public static string Mask(Uri url, Func<int, int, string, string> segment, Func<string, bool> secretQuery)
    {
        var builder = new StringBuilder();
        builder.Append(url.Scheme).Append("://").Append(url.IdnHost);
        if (!url.IsDefaultPort)
        {
            builder.Append(':').Append(url.Port);
        }
        var segments = url.AbsolutePath.Split('/');
        // segments[0] is the empty text before the leading slash.
        var count = segments.Length - 1;
        for (var i = 1; i < segments.Length; i++)
        {
            builder.Append('/').Append(segments[i].Length == 0 ? "" : segment(i - 1, count, segments[i]));
        }
        if (url.Query.Length > 1)
        {
            var pairs = url.Query[1..].Split('&').Select(pair =>
            {
                var equals = pair.IndexOf('=');
                var name = equals < 0 ? pair : pair[..equals];
                return equals < 0 || !secretQuery(Uri.UnescapeDataString(name)) ? pair : name + "=" + Hidden;
            });
            builder.Append('?').Append(string.Join('&', pairs));
        }
        return builder.ToString();
    }

    /// <summary>An identifier shown by its first character only: <c>T0123ABC</c> → <c>T…</c>.</summary>
    public static string Initial(string segment) => segment.Length <= 1 ? segment : char.IsSurrogate(segment[0]) ? "…" : segment[0] + "…";

    /// <summary>The values of a URL's query (decoded), for redaction.</summary>
    public static IEnumerable<string> QueryValues(Uri url, Func<string, bool> secretQuery) =>
        url.Query.Length <= 1 ? [] : url.Query[1..].Split('&')
            .Select(pair => pair.Split('=', 2))
            .Where(pair => pair.Length == 2 && secretQuery(Uri.UnescapeDataString(pair[0])))
            .SelectMany(pair => new[] { pair[1], Uri.UnescapeDataString(pair[1]) });
}
