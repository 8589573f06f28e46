using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using PushHub.Hub;

namespace PushHub.Webhooks.Formats;

/// <summary>What a webhook's create or patch body says about its destination, as read from JSON.</summary>
internal sealed record DestinationInput(string? Format, string? Url, JsonElement? Options, string? Template, IReadOnlyList<string>? Types);

/// <summary>
/// The formats by name, and the two ways to a <see cref="NotificationDestination"/>: <see cref="Validate"/> for
/// what a user registers (every field checked, the template rendered on a sample event) and <see cref="Open"/>
/// for what was stored (trusted, templates parsed once and cached).
/// </summary>
internal sealed class NotificationFormats
{
    private readonly Dictionary<string, NotificationFormat> _formats;
    private readonly IOptions<HubOptions> _hub;
    private readonly IOptions<EmailOptions> _email;
    private readonly IOptions<WebhookOptions> _webhooks;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, NotificationTemplate> _templates = new(StringComparer.Ordinal);

    public NotificationFormats(IEnumerable<NotificationFormat> formats, IOptions<HubOptions> hub, IOptions<EmailOptions> email,
        IOptions<WebhookOptions> webhooks, TimeProvider time)
    {
        _formats = formats.ToDictionary(f => f.Name, StringComparer.Ordinal);
        _hub = hub;
        _email = email;
        _webhooks = webhooks;
        _time = time;
        Names = [.. _formats.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>Every format's name, for the API's error messages and the dashboard's picker.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The format called <paramref name="name"/> (null: standard), or null when there is none.</summary>
    public NotificationFormat? Find(string? name) => _formats.GetValueOrDefault(name ?? StandardFormat.FormatName);

    /// <summary>An event as formats and templates read it, with the dashboard link from <c>Hub:PublicUrl</c>.</summary>
    public NotificationEvent Describe(HubEvent stored) => NotificationEvent.From(stored, _hub.Value.PublicUrl);

    /// <summary>The sample event of validation, previews and test sends.</summary>
    public NotificationEvent Sample(string type = EventTypes.Failed, string taskId = "build-17") =>
        NotificationEvent.Sample(_hub.Value.PublicUrl, _time.GetUtcNow(), type, taskId);

    /// <summary>
    /// Checks a registration: <c>format</c>, <c>url</c> (http(s) and SSRF-checked, or <c>mailto:</c> while email is
    /// set up), <c>options</c> and <c>options.&lt;name&gt;</c>, <c>template</c> (parsed, then rendered on the sample
    /// event: an error names the line), <c>types</c> the format cannot send. Errors never echo a URL or an option.
    /// Returns the destination when every field holds.
    /// </summary>
    public NotificationDestination? Validate(DestinationInput input, ValidationErrors errors, SigningSecrets? signing = null)
    {
        var format = Find(input.Format);
        if (format is null)
        {
            errors.Add("format", $"must be one of {string.Join(", ", Names)}");
            return null;
        }
        // Messages, not fields: the caller's errors may already name url or options, and a second error there still fails.
        var before = errors.MessageCount;
        if (input.Url is not { } url)
        {
            errors.Add("url", format.IsEmail ? "is required: mailto: followed by the addresses" : "is required: the destination's http or https URL");
        }
        else if (format.IsEmail)
        {
            if (EmailFormat.ParseRecipients(url, out var error) is null)
            {
                errors.Add("url", error!);
            }
            else if (!_email.Value.Enabled)
            {
                errors.Add("url", "is a mailto: address, but this hub cannot send email: set Email:Smtp:Host and Email:From in its configuration");
            }
        }
        else if (WebhookUrl.ReadHttp(url, _webhooks.Value.AllowPrivateNetworks, errors) is { } http && format.CheckUrl(http) is { } shape)
        {
            errors.Add("url", shape);
        }
        var options = FormatOption.Read(input.Options, format.Options, format.Name, errors);
        NotificationTemplate? template = null;
        if (input.Template is { } source)
        {
            if (!format.UsesTemplate)
            {
                errors.Add("template", $"is not used by the {format.Name} format, which sends the event JSON itself; leave it out or pick a chat format");
            }
            else if ((template = NotificationTemplate.TryParse(source, out var error)) is null)
            {
                errors.Add("template", error!);
            }
        }
        if (format.SupportedTypes is { } supported && input.Types?.Where(t => !supported.Contains(t)).ToList() is { Count: > 0 } unsupported)
        {
            errors.Add("types", $"the {format.Name} format can send only {string.Join(", ", supported)}, not {string.Join(", ", unsupported)}");
        }
        if (errors.MessageCount > before)
        {
            return null;
        }
        var destination = new NotificationDestination(format, input.Url!, options, template, signing);
        if (template is not null)
        {
            try
            {
                using var sample = format.CreateMessage(Sample(format.SupportedTypes?[0] ?? EventTypes.Failed), destination, _time.GetUtcNow());
            }
            catch (TemplateRenderException exception)
            {
                errors.Add("template", exception.Message);
                return null;
            }
        }
        return destination;
    }

    /// <summary>
    /// A stored destination, for delivery: fields were checked when they were written, so only the format name
    /// and template are looked up (a template is parsed once per distinct text).
    /// </summary>
    /// <exception cref="InvalidOperationException">The stored format or template no longer parses (a downgrade).</exception>
    public NotificationDestination Open(string? format, string address, string? optionsJson, string? template, SigningSecrets? signing)
    {
        var kind = Find(format) ?? throw new InvalidOperationException($"unknown webhook format '{format}'");
        var options = optionsJson is null ? new Dictionary<string, string>()
            : JsonSerializer.Deserialize<Dictionary<string, string>>(optionsJson) ?? [];
        var parsed = template is null ? null : _templates.GetOrAdd(template, source =>
            NotificationTemplate.TryParse(source, out var error) ?? throw new InvalidOperationException("a stored template does not parse: " + error));
        return new NotificationDestination(kind, address, options, parsed, signing);
    }

    /// <summary>The options as they are stored: a JSON object of strings.</summary>
    public static string? StoreOptions(IReadOnlyDictionary<string, string> options) =>
        options.Count == 0 ? null : JsonSerializer.Serialize(options);
}
