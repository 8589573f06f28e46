using System.Globalization;
using System.Text;

namespace PushHub.Cli.Hub;

/// <summary>A query string built from options that may be absent or repeated; every value escaped.</summary>
public sealed class QueryString
{
    private readonly StringBuilder _text = new();

    /// <summary>Adds <paramref name="name"/>=<paramref name="value"/> unless the value is null.</summary>
    public QueryString Add(string name, string? value)
    {
        if (value is not null)
        {
            _text.Append(_text.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }
        return this;
    }

    public QueryString Add(string name, long? value) => Add(name, value?.ToString(CultureInfo.InvariantCulture));

    /// <summary>Adds <paramref name="name"/> once per value, as the hub's repeatable filters (<c>task</c>, <c>type</c>) expect.</summary>
    public QueryString AddEach(string name, IEnumerable<string>? values)
    {
        foreach (var value in values ?? [])
        {
            Add(name, value);
        }
        return this;
    }

    public override string ToString() => _text.ToString();

    public static string operator +(string path, QueryString query) => path + query._text;
}
