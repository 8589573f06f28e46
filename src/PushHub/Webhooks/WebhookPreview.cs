using System.Text.Json;
using PushHub.Http;
using PushHub.Hub;
using PushHub.Webhooks.Formats;

namespace PushHub.Webhooks;

/// <summary>
/// <c>POST /webhooks/preview</c>: renders the sample event (task <c>build-17</c>, <c>task.failed</c>) in a format, with
/// the options and template given, and answers the body that would be sent (secrets masked). Stores nothing;
/// <c>url</c> and <c>options</c> may be left out (placeholders stand in), a bad template is a 400 naming its line.
/// </summary>
internal static class WebhookPreview
{
    /// <summary>The body of the answer.</summary>
    public sealed record Preview(string Format, string ContentType, string Body, string? Subject, string? Html);

    private static readonly Dictionary<string, string> s_placeholders = new(StringComparer.Ordinal)
    {
        ["standard"] = "https://example.com/webhook",
        ["slack"] = "https://hooks.slack.com/services/T0/B0/preview",
        ["discord"] = "https://discord.com/api/webhooks/0/preview",
        ["teams"] = "https://example.com/workflows/preview",
        ["telegram"] = "https://api.telegram.org/bot0:preview/sendMessage",
        ["pagerduty"] = "https://events.pagerduty.com/v2/enqueue",
        ["email"] = "mailto:preview@example.com",
    };

    public static async Task<IResult> PreviewAsync(HttpContext context, NotificationFormats formats, TimeProvider time)
    {
        var (document, problem) = await JsonBody.ReadAsync(context);
        if (problem is not null)
        {
            return problem;
        }
        using var owned = document;
        var errors = new ValidationErrors();
        var body = document!.RootElement;
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Problems.Validation("body", "must be a JSON object such as {\"format\":\"slack\"}");
        }
        string? Text(string name)
        {
            if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }
            if (value.ValueKind == JsonValueKind.String)
            {
                return value.GetString();
            }
            errors.Add(name, $"must be a string or null, not {EventValidator.Describe(value.ValueKind)}");
            return null;
        }
        foreach (var property in body.EnumerateObject().Where(p => p.Name is not ("format" or "url" or "options" or "template")))
        {
            errors.Add(property.Name, "is not a field of a preview; send format and optionally url, options and template");
        }
        var format = formats.Find(Text("format"));
        if (format is null)
        {
            errors.Add("format", $"must be one of {string.Join(", ", formats.Names)}");
            return Problems.Validation(errors);
        }
        var address = Text("url") ?? s_placeholders.GetValueOrDefault(format.Name, "https://example.com/webhook");
        if (format.IsEmail ? EmailFormat.ParseRecipients(address, out _) is null
            : !Uri.TryCreate(address, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            errors.Add("url", format.IsEmail ? "must be mailto: followed by the addresses" : "must be an absolute http or https URL");
        }
        var given = body.TryGetProperty("options", out var element) ? element : (JsonElement?)null;
        // A required option left out gets a placeholder: a preview shows the shape, not a real destination.
        var optional = format.Options.Select(option => option with { Required = false }).ToList();
        var options = new Dictionary<string, string>(FormatOption.Read(given, optional, format.Name, errors), StringComparer.Ordinal);
        foreach (var option in format.Options.Where(o => o.Required && !options.ContainsKey(o.Name)))
        {
            options[option.Name] = option.Name == "chat_id" ? "-1001234567890" : "preview";
        }
        NotificationTemplate? template = null;
        if (Text("template") is { } source)
        {
            if (!format.UsesTemplate)
            {
                errors.Add("template", $"is not used by the {format.Name} format, which sends the event JSON itself");
            }
            else if ((template = NotificationTemplate.TryParse(source, out var error)) is null)
            {
                errors.Add("template", error!);
            }
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var destination = new NotificationDestination(format, address, options, template, new SigningSecrets("whsec_preview"));
        var sample = formats.Sample(format.SupportedTypes is { } supported && !supported.Contains(EventTypes.Failed) ? supported[0] : EventTypes.Failed);
        try
        {
            using var message = format.CreateMessage(sample, destination, time.GetUtcNow());
            return message switch
            {
                HttpOutgoing http => TypedResults.Ok(new Preview(format.Name, http.Request.Content?.Headers.ContentType?.MediaType ?? "application/json",
                    destination.Redact(await http.Request.Content!.ReadAsStringAsync(context.RequestAborted))!, null, null)),
                EmailOutgoing mail => TypedResults.Ok(new Preview(format.Name, "text/plain", mail.Message.TextBody ?? "",
                    mail.Message.Subject, mail.Message.HtmlBody)),
                _ => throw new InvalidOperationException("a format made a message of an unknown kind"),
            };
        }
        catch (TemplateRenderException exception)
        {
            return Problems.Validation("template", destination.Redact(exception.Message)!);
        }
    }
}
