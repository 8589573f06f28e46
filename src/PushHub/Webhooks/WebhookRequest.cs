using System.Globalization;
using System.Text.Json;
using PushHub.Hub;
using PushHub.Security;

namespace PushHub.Webhooks;

/// <summary>
/// The body of <c>POST /webhooks</c> or <c>PATCH /webhooks/{id}</c>, checked field by field. For a patch, a field
/// left out stays as it is and <c>null</c> clears an optional one.
/// </summary>
internal sealed class WebhookRequest
{
    private const int MaxDescriptionLength = 1000;
    private const int MaxTypes = 64;
    private const int MaxTemplateLength = 8000;
    private const int MaxFallbackIdLength = 200;
    private static readonly TimeSpan s_minFallbackAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_maxFallbackAfter = TimeSpan.FromDays(7);

    /// <summary>The destination as sent (http(s) or <c>mailto:</c>); checked with the format by <see cref="Formats.NotificationFormats.Validate"/>.</summary>
    public string? Url { get; private set; }
    public bool HasFormat { get; private set; }
    public string? Format { get; private set; }
    public bool HasOptions { get; private set; }
    /// <summary>The <c>options</c> object as sent (a clone, valid after the body is disposed); null when null or absent.</summary>
    public JsonElement? Options { get; private set; }
    public bool HasTemplate { get; private set; }
    public string? Template { get; private set; }
    public bool HasTaskId { get; private set; }
    public string? TaskId { get; private set; }
    public bool HasTypes { get; private set; }
    public IReadOnlyList<string>? Types { get; private set; }
    public bool HasDescription { get; private set; }
    public string? Description { get; private set; }
    public string? Secret { get; private set; }
    public bool? Enabled { get; private set; }
    /// <summary>True when <c>fallback</c> was sent (null clears it on a patch).</summary>
    public bool HasFallback { get; private set; }
    /// <summary>The fallback's webhook id as sent; checked against the store by <see cref="WebhookFallbacks"/>.</summary>
    public string? FallbackWebhookId { get; private set; }
    public TimeSpan? FallbackAfter { get; private set; }

    /// <summary>Reads and checks <paramref name="body"/>; errors name the field.</summary>
    public static WebhookRequest Read(JsonElement body, bool patch, ValidationErrors errors)
    {
        var request = new WebhookRequest();
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "must be a JSON object such as {\"url\":\"https://example.com/hook\"}");
            return request;
        }
        foreach (var property in body.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "url":
                    if (value.ValueKind == JsonValueKind.String)
                    {
                        request.Url = value.GetString();
                    }
                    else
                    {
                        errors.Add("url", $"must be a string, not {EventValidator.Describe(value.ValueKind)}");
                    }
                    break;
                case "format":
                    request.HasFormat = true;
                    request.Format = ReadOptional(value, "format", errors, _ => true, "");
                    break;
                case "options":
                    request.HasOptions = true;
                    request.Options = value.ValueKind == JsonValueKind.Null ? null : value.Clone();
                    break;
                case "template":
                    request.HasTemplate = true;
                    request.Template = ReadOptional(value, "template", errors, text => text.Length <= MaxTemplateLength,
                        $"must be at most {MaxTemplateLength} characters of Liquid");
                    break;
                case "task_id":
                    request.HasTaskId = true;
                    request.TaskId = ReadOptional(value, "task_id", errors, TaskPattern.IsValid, TaskPattern.Rule);
                    break;
                case "types":
                    request.HasTypes = true;
                    request.Types = ReadTypes(value, errors);
                    break;
                case "description":
                    request.HasDescription = true;
                    request.Description = ReadOptional(value, "description", errors, text => text.Length <= MaxDescriptionLength,
                        $"must be at most {MaxDescriptionLength} characters");
                    break;
                case "secret" when !patch:
                    request.Secret = ReadOptional(value, "secret", errors, WebhookSigner.IsAcceptableSecret,
                        "must be 8 to 256 printable ASCII characters, such as whsec_ followed by base64; leave it out to have one generated");
                    break;
                case "enabled" when patch:
                    if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                    {
                        request.Enabled = value.GetBoolean();
                    }
                    else
                    {
                        errors.Add("enabled", $"must be true or false, not {EventValidator.Describe(value.ValueKind)}");
                    }
                    break;
                case "fallback":
                    request.HasFallback = true;
                    request.ReadFallback(value, errors);
                    break;
                case "secret":
                    errors.Add("secret", "cannot be patched; use POST /webhooks/{id}/rotate-secret");
                    break;
                default:
                    errors.Add(property.Name, patch
                        ? "is not a field of a webhook; send url, format, options, template, task_id, types, fallback, description or enabled"
                        : "is not a field of a webhook; send url and optionally format, options, template, task_id, types, fallback, description and secret");
                    break;
            }
        }
        return request;
    }

    /// <summary>
    /// <c>{"webhook_id": "wh_…", "after": "00:05:00"?}</c>, or null for none. Whether the id names a webhook the caller
    /// may use, and makes no cycle, is for <see cref="WebhookFallbacks.CheckAsync"/>.
    /// </summary>
    private void ReadFallback(JsonElement value, ValidationErrors errors)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add("fallback", $"must be an object such as {{\"webhook_id\":\"wh_…\",\"after\":\"00:05:00\"}}, or null for none, not {EventValidator.Describe(value.ValueKind)}");
            return;
        }
        foreach (var property in value.EnumerateObject())
        {
            switch (property.Name)
            {
                case "webhook_id":
                    if (property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: > 0 and <= MaxFallbackIdLength } id)
                    {
                        FallbackWebhookId = id;
                    }
                    else
                    {
                        errors.Add("fallback.webhook_id", "must be the id of another webhook (wh_…), as POST /webhooks answered it");
                    }
                    break;
                case "after":
                    FallbackAfter = ReadAfter(property.Value, errors);
                    break;
                default:
                    errors.Add($"fallback.{property.Name}", "is not a field of a fallback; send webhook_id and optionally after");
                    break;
            }
        }
        if (FallbackWebhookId is null && !errors.Contains("fallback.webhook_id"))
        {
            errors.Add("fallback.webhook_id", "is required: the id of the webhook that gets the event (wh_…)");
        }
    }

    private static TimeSpan? ReadAfter(JsonElement value, ValidationErrors errors)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        // A colon is required: "c" alone would read "5" as five days.
        if (value.ValueKind == JsonValueKind.String && value.GetString() is { } text && text.Contains(':', StringComparison.Ordinal)
            && TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out var after)
            && after >= s_minFallbackAfter && after <= s_maxFallbackAfter)
        {
            return after;
        }
        errors.Add("fallback.after", $"must be a TimeSpan from {s_minFallbackAfter:c} to {s_maxFallbackAfter:c} such as \"00:05:00\" " +
            "(hours:minutes:seconds, or days.hours:minutes:seconds), or null to hand over on dead letter only");
        return null;
    }

    private static string? ReadOptional(JsonElement value, string field, ValidationErrors errors, Func<string, bool> isValid, string rule)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(field, $"must be a string or null, not {EventValidator.Describe(value.ValueKind)}");
            return null;
        }
        var text = value.GetString()!;
        if (!isValid(text))
        {
            errors.Add(field, rule);
            return null;
        }
        return text;
    }

    private static IReadOnlyList<string>? ReadTypes(JsonElement value, ValidationErrors errors)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is 0 or > MaxTypes)
        {
            errors.Add("types", $"must be an array of 1 to {MaxTypes} event types, or null for all types");
            return null;
        }
        var types = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var type = item.ValueKind == JsonValueKind.String ? item.GetString() : null;
            if (!EventValidator.IsValidType(type))
            {
                errors.Add($"types[{index}]", EventValidator.TypeRule);
            }
            else if (!types.Contains(type!))
            {
                types.Add(type!);
            }
            index++;
        }
        return types;
    }
}
