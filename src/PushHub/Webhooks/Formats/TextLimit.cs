using System.Text;

namespace PushHub.Webhooks.Formats;

/// <summary>How a service reads text, for cutting it without breaking it.</summary>
internal enum TextMarkup
{
    /// <summary>Plain text (and Markdown, where a cut mark is harmless): only surrogate pairs are kept whole.</summary>
    Plain,

    /// <summary>Slack mrkdwn: entities (<c>&amp;amp;</c>) and <c>&lt;url|text&gt;</c> links are kept whole.</summary>
    Slack,

    /// <summary>Telegram's HTML subset: entities and tags kept whole, and the tags left open are closed.</summary>
    Html,
}

/// <summary>Cuts text to a service's limit (in UTF-16 code units, as the services count) and marks the cut with "…".</summary>
internal static class TextLimit
{
    private const string Ellipsis = "…";

    // The longest entity a cut keeps together: &#x10FFFF; is 10 characters, named ones are shorter.
    private const int MaxEntityLength = 10;

    /// <summary>
    /// <paramref name="text"/> if it fits in <paramref name="max"/> characters, else its longest prefix that ends
    /// between two whole tokens (never inside a surrogate pair, an entity or a tag), then "…", then the closing
    /// tags of the HTML elements still open, all within <paramref name="max"/>.
    /// </summary>
    public static string Truncate(string text, int max, TextMarkup markup)
    {
        if (text.Length <= max)
        {
            return text;
        }
        var budget = max - Ellipsis.Length;
        var open = new List<string>();
        var closing = 0;
        var safe = 0;
        string safeClosers = "";
        var closersStale = false;
        for (var at = 0; at < text.Length;)
        {
            var end = TokenEnd(text, at, markup);
            if (markup == TextMarkup.Html && text[at] == '<' && end - at > 2)
            {
                var tag = text.AsSpan(at + 1, end - at - 2);
                if (tag[0] == '/')
                {
                    var name = TagName(tag[1..]);
                    var index = open.FindLastIndex(n => n == name);
                    if (index >= 0)
                    {
                        closing -= CloserLength(open[index]);
                        open.RemoveAt(index);
                        closersStale = true;
                    }
                }
                else if (tag[^1] != '/')
                {
                    var name = TagName(tag);
                    open.Add(name);
                    closing += CloserLength(name);
                    closersStale = true;
                }
            }
            // The prefix plus its closing tags only grows token by token (a closing tag costs what it frees), so
            // the first prefix that does not fit ends the search.
            if (end + closing > budget)
            {
                break;
            }
            safe = end;
            if (closersStale)
            {
                safeClosers = Closers(open);
                closersStale = false;
            }
            at = end;
        }
        return string.Concat(text.AsSpan(0, safe), Ellipsis, safeClosers);
    }

    private static int TokenEnd(string text, int at, TextMarkup markup)
    {
        var c = text[at];
        if (char.IsHighSurrogate(c) && at + 1 < text.Length && char.IsLowSurrogate(text[at + 1]))
        {
            return at + 2;
        }
        if (markup != TextMarkup.Plain && c == '&')
        {
            var semicolon = text.IndexOf(';', at + 1, Math.Min(MaxEntityLength, text.Length - at - 1));
            return semicolon > 0 ? semicolon + 1 : at + 1;
        }
        if (markup != TextMarkup.Plain && c == '<')
        {
            var close = text.IndexOf('>', at + 1);
            return close > 0 ? close + 1 : at + 1;
        }
        return at + 1;
    }

    private static string TagName(ReadOnlySpan<char> tag)
    {
        var end = tag.IndexOfAny(" \t\n/");
        return (end < 0 ? tag : tag[..end]).ToString().ToLowerInvariant();
    }

    private static int CloserLength(string name) => name.Length + 3;

    private static string Closers(List<string> open)
    {
        var builder = new StringBuilder();
        for (var i = open.Count - 1; i >= 0; i--)
        {
            builder.Append("</").Append(open[i]).Append('>');
        }
        return builder.ToString();
    }
}
