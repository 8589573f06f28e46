using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.RegularExpressions;
using Fluid;
using Fluid.Ast;
using Fluid.Values;

namespace PushHub.Webhooks.Formats;

/// <summary>
/// A webhook's Liquid template, parsed once with Fluid and rendered per event in a sandbox: the only names in
/// scope are the event's fields (<see cref="Fields"/>), no CLR member is reachable, includes find no files, and
/// steps, ranges, assigned strings and output are all bounded.
/// </summary>
internal sealed partial class NotificationTemplate
{
    /// <summary>The longest template accepted at registration.</summary>
    public const int MaxSourceLength = 8 * 1024;

    /// <summary>The most output one render keeps; the rest is dropped (formats then cut to their own limits).</summary>
    public const int MaxOutputLength = 16 * 1024;

    /// <summary>Statements one render may run (Fluid's <see cref="TemplateOptions.MaxSteps"/>): loops cannot run away.</summary>
    public const int MaxSteps = 10_000;

    /// <summary>The widest range <c>(a..b)</c>: Fluid builds a range as an array, so <c>(1..100000000)</c> would take gigabytes.</summary>
    public const int MaxRangeLength = 1_000;

    /// <summary>The names a template can use.</summary>
    public static readonly IReadOnlyList<string> Fields =
        ["seq", "task_id", "type", "timestamp", "data", "status", "percent", "message", "error", "link", "headline"];

    private static readonly FluidParser s_parser = new();
    private static readonly TemplateOptions s_options = CreateOptions();

    private readonly IFluidTemplate _template;

    private NotificationTemplate(string source, IFluidTemplate template)
    {
        Source = source;
        _template = template;
    }

    public string Source { get; }

    /// <summary>Parses <paramref name="source"/>; on failure <paramref name="error"/> names the line and column.</summary>
    public static NotificationTemplate? TryParse(string source, out string? error)
    {
        if (source.Length > MaxSourceLength)
        {
            error = $"must be at most {MaxSourceLength} characters";
            return null;
        }
        if (!s_parser.TryParse(source, out var template, out var message))
        {
            error = DescribeParseError(message);
            return null;
        }
        error = null;
        return new NotificationTemplate(source, new RangeBounder().VisitTemplate(template));
    }

    /// <summary>
    /// Renders the template on <paramref name="notification"/>, escaping every printed value with
    /// <paramref name="encoder"/> (the template's own text is left as written).
    /// </summary>
    /// <exception cref="TemplateRenderException">The template failed on this event or went past a limit.</exception>
    public string Render(NotificationEvent notification, TextEncoder encoder)
    {
        var context = new TemplateContext(s_options);
        context.SetValue("seq", notification.Seq);
        context.SetValue("task_id", notification.TaskId);
        context.SetValue("type", notification.Type);
        context.SetValue("timestamp", notification.TimestampText);
        context.SetValue("data", notification.Data);
        context.SetValue("status", notification.Status);
        context.SetValue("percent", notification.Percent);
        context.SetValue("message", notification.Message);
        context.SetValue("error", notification.Error);
        context.SetValue("link", notification.Link);
        context.SetValue("headline", notification.Headline);
        // "now" means the event's time, so a render is the same on every retry.
        context.Now = () => notification.Timestamp;
        using var writer = new BoundedWriter(MaxOutputLength);
        try
        {
            var rendering = _template.RenderAsync(writer, encoder, context);
            if (!rendering.IsCompletedSuccessfully)
            {
                rendering.AsTask().GetAwaiter().GetResult();
            }
        }
        catch (TemplateRenderException)
        {
            throw;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // A template is the user's code: whatever Fluid throws while running it is the template's failure.
            throw new TemplateRenderException(DescribeRenderError(exception), exception);
        }
        return writer.ToString();
    }

    private static TemplateOptions CreateOptions()
    {
        var options = new TemplateOptions
        {
            MaxSteps = MaxSteps,
            MaxRecursion = 4,
            // An unknown filter is an error at validation, not silently nothing.
            StrictFilters = true,
            // No CLR type is registered, so no member beyond the JSON values set on the context can be read.
            MemberAccessStrategy = new DefaultMemberAccessStrategy(),
            FileProvider = new Microsoft.Extensions.FileProviders.NullFileProvider(),
            CultureInfo = CultureInfo.InvariantCulture,
            TimeZone = TimeZoneInfo.Utc,
        };
        // Strings are built by assign/capture, which MaxSteps does not weigh: `assign s = s | append: s` doubles.
        options.Assigned = (name, value, _) => value is StringValue && value.ToStringValue().Length > MaxOutputLength
            ? throw new TemplateRenderException($"'{name}' would hold more than {MaxOutputLength} characters")
            : new ValueTask<FluidValue>(value);
        options.Captured = (name, value, _) => value.ToStringValue().Length > MaxOutputLength
            ? throw new TemplateRenderException($"the capture '{name}' would hold more than {MaxOutputLength} characters")
            : new ValueTask<FluidValue>(value);
        return options;
    }

    private static string DescribeParseError(string? message)
    {
        var first = (message ?? "does not parse").Split('\n')[0].Trim();
        var position = ParsePosition().Match(first);
        if (!position.Success)
        {
            return "does not parse: " + first;
        }
        var what = first[..position.Index].TrimEnd();
        return $"line {position.Groups[1].Value}, column {position.Groups[2].Value}: {what}";
    }

    private static string DescribeRenderError(Exception exception) => exception switch
    {
        // Fluid reports MaxSteps and MaxRecursion alike, as a "recursion" InvalidOperationException.
        InvalidOperationException when exception.Message.Contains("recursion", StringComparison.OrdinalIgnoreCase) =>
            $"runs more than {MaxSteps} steps",
        FileNotFoundException => "includes another template; notification templates cannot include or render files",
        _ => "fails on the sample event: " + exception.Message.Split('\n')[0],
    };

    [GeneratedRegex(@"at \((\d+):(\d+)\)")]
    private static partial Regex ParsePosition();

    /// <summary>Wraps each range so that its width is checked before Fluid builds it.</summary>
    private sealed class RangeBounder : AstRewriter
    {
        protected override Expression VisitRangeExpression(RangeExpression rangeExpression) =>
            new BoundedRange(rangeExpression);
    }

    private sealed class BoundedRange(RangeExpression range) : Expression
    {
        public override async ValueTask<FluidValue> EvaluateAsync(TemplateContext context)
        {
            var from = (await range.From.EvaluateAsync(context)).ToNumberValue();
            var to = (await range.To.EvaluateAsync(context)).ToNumberValue();
            if (Math.Abs(to - from) >= MaxRangeLength)
            {
                throw new TemplateRenderException($"a range ({from}..{to}) is wider than {MaxRangeLength} numbers");
            }
            return await range.EvaluateAsync(context);
        }
    }

    /// <summary>
    /// A <see cref="StringWriter"/> that keeps the first <c>limit</c> characters and drops the rest (never splitting
    /// a surrogate pair): an event with a long message still gets a message, cut, rather than none.
    /// </summary>
    private sealed class BoundedWriter(int limit) : StringWriter(CultureInfo.InvariantCulture)
    {
        private bool _full;

        public override void Write(char value) => Write([value]);

        public override void Write(string? value) => Write(value.AsSpan());

        public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

        public override void Write(ReadOnlySpan<char> buffer)
        {
            var room = limit - GetStringBuilder().Length;
            if (_full || buffer.Length == 0)
            {
                return;
            }
            if (buffer.Length > room)
            {
                _full = true;
                buffer = buffer[..(room > 0 && char.IsHighSurrogate(buffer[room - 1]) ? room - 1 : room)];
            }
            // Straight into the builder: StringWriter's own span overload calls back into Write(char[], …) in a subclass.
            GetStringBuilder().Append(buffer);
        }
    }
}

/// <summary>A template that parsed but could not render an event; the message says why, in a user's words.</summary>
internal sealed class TemplateRenderException(string message, Exception? inner = null) : Exception(message, inner);
