using System.Text.Encodings.Web;

namespace PushHub.Webhooks.Formats;

/// <summary>
/// Escapes the values a template prints (<c>{{ data.message }}</c>) for one service's markup, so that an event's
/// text shows as text: the template's own literal text is the author's markup and is left alone. Fluid applies a
/// <see cref="TextEncoder"/> to every output value; these encode only the few characters each service gives a
/// meaning to, so non-ASCII text stays as it is (and within the service's length limit).
/// </summary>
internal sealed class MarkupEncoder : TextEncoder
{
    private readonly string?[] _replacements = new string?[128];
    private readonly int _maxOutput;

    private MarkupEncoder(IReadOnlyDictionary<char, string> replacements)
    {
        foreach (var (c, replacement) in replacements)
        {
            _replacements[c] = replacement;
        }
        _maxOutput = replacements.Values.Max(r => r.Length);
    }

    /// <summary>Slack mrkdwn: only <c>&amp; &lt; &gt;</c> are control characters (Slack's "Escaping text").</summary>
    public static MarkupEncoder Slack { get; } = new(new Dictionary<char, string> { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;" });

    /// <summary>Telegram's HTML parse mode: <c>&amp; &lt; &gt;</c>, and <c>"</c> for values inside attributes.</summary>
    public static MarkupEncoder Html { get; } = new(new Dictionary<char, string>
    {
        ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
    });

    /// <summary>
    /// Discord Markdown: a backslash before each character that starts formatting (bold, italics, strike, code,
    /// spoilers, quotes, headings, links, mentions), so a task called <c>build_1_2</c> is not shown in italics.
    /// Mentions are also disabled by <c>allowed_mentions</c>, so nobody is pinged whatever a value says.
    /// </summary>
    public static MarkupEncoder DiscordMarkdown { get; } = Backslashes("\\*_~`|>#[]<");

    /// <summary>The Markdown subset of Adaptive Card text blocks (bold, italics, lists, links).</summary>
    public static MarkupEncoder TeamsMarkdown { get; } = Backslashes("\\*_[]`~>#");

    private static MarkupEncoder Backslashes(string characters) =>
        new(characters.ToDictionary(c => c, c => "\\" + c));

    /// <summary>Escapes <paramref name="text"/> as the encoder escapes template values.</summary>
    public string Escape(string text) => Encode(text);

    public override int MaxOutputCharactersPerInputCharacter => _maxOutput;

    public override bool WillEncode(int unicodeScalar) => unicodeScalar < 128 && _replacements[unicodeScalar] is not null;

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        for (var i = 0; i < textLength; i++)
        {
            if (WillEncode(text[i]))
            {
                return i;
            }
        }
        return -1;
    }

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        var output = new Span<char>(buffer, bufferLength);
        if (!WillEncode(unicodeScalar))
        {
            return new System.Text.Rune(unicodeScalar).TryEncodeToUtf16(output, out numberOfCharactersWritten);
        }
        var replacement = _replacements[unicodeScalar]!;
        if (replacement.Length > bufferLength)
        {
            numberOfCharactersWritten = 0;
            return false;
        }
        replacement.CopyTo(output);
        numberOfCharactersWritten = replacement.Length;
        return true;
    }
}
