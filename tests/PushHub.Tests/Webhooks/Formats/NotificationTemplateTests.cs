using PushHub.Hub;
using PushHub.Webhooks.Formats;

namespace PushHub.Tests.Webhooks.Formats;

public sealed class NotificationTemplateTests
{
    private static readonly NotificationEvent s_event = NotificationEvent.From(
        FormatKit.Event(EventTypes.Progress, new { percent = 40, message = "Compiling", nested = new { items = new[] { 1, 2, 3 } } }),
        new Uri("https://push.example.com/"));

    private static string Render(string source, System.Text.Encodings.Web.TextEncoder? encoder = null)
    {
        var template = NotificationTemplate.TryParse(source, out var error);
        Assert.True(template is not null, error);
        return template.Render(s_event, encoder ?? Fluid.NullEncoder.Default);
    }

    private static string RenderError(string source) =>
        Assert.Throws<TemplateRenderException>(() => Render(source)).Message;

    [Fact]
    public void The_event_fields_and_the_computed_ones_are_reachable()
    {
        Assert.Equal("42 build-17 task.progress 2026-11-23T10:29:00.000Z running 40 Compiling https://push.example.com/#/tasks/build-17",
            Render("{{ seq }} {{ task_id }} {{ type }} {{ timestamp }} {{ status }} {{ percent }} {{ message }} {{ link }}"));
        Assert.Equal("3 2 | build-17 40 % Compiling", Render("{{ data.nested.items | size }} {{ data.nested.items[1] }} | {{ headline }}"));
    }

    [Fact]
    public void Nothing_but_the_event_is_reachable()
    {
        // CLR members of the values and anything of the hub's are not in scope: they render as nothing.
        Assert.Equal("||||", Render("{{ Stored }}|{{ task_id.Length }}|{{ data.GetType }}|{{ Environment.MachineName }}|{{ options }}"));
        Assert.Contains("cannot include", RenderError("{% include 'appsettings.json' %}"), StringComparison.Ordinal);
    }

    [Fact]
    public void Steps_are_bounded()
    {
        Assert.Equal($"runs more than {NotificationTemplate.MaxSteps} steps",
            RenderError("{% for i in (1..999) %}{% for j in (1..999) %}{% assign x = j %}{% endfor %}{% endfor %}"));
    }

    [Fact]
    public void A_huge_range_is_refused_before_it_is_built()
    {
        Assert.Contains("wider than 1000", RenderError("{% assign r = (1..100000000) %}{{ r | size }}"), StringComparison.Ordinal);
    }

    [Fact]
    public void Output_and_built_strings_are_bounded()
    {
        Assert.Equal(NotificationTemplate.MaxOutputLength, Render("{% for i in (1..900) %}{{ 'abcdefghijklmnopqrstuvwxyz' }}{% endfor %}").Length);
        Assert.Contains("would hold more than", RenderError("{% assign s = 'xxxxxxxx' %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}"), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_filter_is_an_error()
    {
        Assert.Contains("bogus", RenderError("{{ task_id | bogus }}"), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_errors_name_the_line_and_column()
    {
        Assert.Null(NotificationTemplate.TryParse("ok {{ task_id }}\nline two\n{% if x %}never closed", out var error));
        Assert.StartsWith("line 3, column", error, StringComparison.Ordinal);
        Assert.Contains("endif", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Printed_values_are_escaped_and_the_template_text_is_not()
    {
        var stored = NotificationEvent.From(FormatKit.Event(EventTypes.Failed, new { error = "<b>&\"*_" }), null);
        var template = NotificationTemplate.TryParse("<i>{{ error }}</i>", out _)!;

        Assert.Equal("<i>&lt;b&gt;&amp;&quot;*_</i>", template.Render(stored, MarkupEncoder.Html));
        Assert.Equal("<i>&lt;b&gt;&amp;\"*_</i>", template.Render(stored, MarkupEncoder.Slack));
        Assert.Equal("<i>\\<b\\>&\"\\*\\_</i>", template.Render(stored, MarkupEncoder.DiscordMarkdown));
        Assert.Equal("<i><b>&\"*_</i>", template.Render(stored, Fluid.NullEncoder.Default));
    }

    [Fact]
    public void Registration_renders_the_sample_and_reports_its_failure_as_a_template_error()
    {
        using var kit = new FormatKit();
        var (destination, errors) = kit.Check("slack", "http://127.0.0.1:9/services/T1/B2/x", template: "{% for i in (1..5000) %}{% endfor %}");

        Assert.Null(destination);
        Assert.Contains("wider than", errors.ToDictionary()["template"][0], StringComparison.Ordinal);
    }
}
