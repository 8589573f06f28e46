using PushHub.Webhooks.Formats;

namespace PushHub.Tests.Webhooks.Formats;

public sealed class TextLimitTests
{
    [Fact]
    public void Text_that_fits_is_unchanged() => Assert.Equal("abc", TextLimit.Truncate("abc", 3, TextMarkup.Html));

    [Fact]
    public void A_surrogate_pair_is_never_split()
    {
        var cut = TextLimit.Truncate("ab😀😀", 4, TextMarkup.Plain);
        Assert.Equal("ab…", cut);
    }

    [Fact]
    public void An_entity_is_never_split()
    {
        Assert.Equal("a…", TextLimit.Truncate("a&amp;bcdef", 6, TextMarkup.Slack));
        Assert.Equal("a&amp;…", TextLimit.Truncate("a&amp;bcdef", 7, TextMarkup.Slack));
    }

    [Fact]
    public void Open_html_tags_are_closed_within_the_limit()
    {
        var text = "<b>bold <a href=\"https://x\">link text</a> more</b>";

        Assert.Equal("<b>bold <a href=\"https://x\">lin…</a></b>", TextLimit.Truncate(text, 40, TextMarkup.Html));
        // Too short for the link and its closing tag: the cut falls before the link.
        Assert.Equal("<b>bold …</b>", TextLimit.Truncate(text, 36, TextMarkup.Html));
    }

    [Fact]
    public void A_slack_link_is_kept_whole()
    {
        Assert.Equal("see …", TextLimit.Truncate("see <https://example.com/x|here> now", 12, TextMarkup.Slack));
    }
}
