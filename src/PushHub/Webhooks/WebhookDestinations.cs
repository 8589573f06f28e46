using System.Text.Json;
using PushHub.Hub;
using PushHub.Storage;
using PushHub.Webhooks.Formats;

namespace PushHub.Webhooks;

/// <summary>A create or patch body's destination fields, checked with their format, and the types it delivers.</summary>
internal sealed record CheckedDestination(NotificationDestination Destination, IReadOnlyList<string>? Types, string? Template)
{
    /// <summary><paramref name="webhook"/> with this destination's URL, format, options, template, types and coalescing.</summary>
    public WebhookRecord ApplyTo(WebhookRecord webhook) => webhook with
    {
        // An http(s) URL as the checked Uri writes it; a mailto: address as given.
        Url = Destination.Url?.AbsoluteUri ?? Destination.Address,
        Format = Destination.Format.Name,
        OptionsJson = NotificationFormats.StoreOptions(Destination.Options),
        Template = Template,
        CoalesceProgress = Destination.Format.CoalescesProgress,
        Types = Types,
    };
}

/// <summary>
/// Merges a create or patch body onto the stored webhook (for a patch) and checks the result with
/// <see cref="NotificationFormats.Validate"/>, so that a patch of one field is checked against the others.
/// </summary>
internal static class WebhookDestinations
{
    /// <summary>
    /// The checked destination, or null with the errors added. For a patch: a field left out keeps its stored value
    /// (options and template are dropped when the format changes and they are not sent again); a masked URL or a
    /// <c>****</c> secret option sent back as the API showed it keeps the stored secret. A new webhook without
    /// <c>types</c> gets its format's default types (the lifecycle ones for chat, paging and email).
    /// </summary>
    public static CheckedDestination? Check(WebhookRequest request, WebhookRecord? stored, NotificationFormats formats, WebhookSender sender,
        ValidationErrors errors)
    {
        var formatName = request.HasFormat ? request.Format ?? StandardFormat.FormatName : stored?.Format ?? StandardFormat.FormatName;
        var format = formats.Find(formatName);
        var sameFormat = stored is not null && stored.Format == formatName;
        var shown = stored is not null && format is not null ? TryOpen(sender, stored) : null;

        var url = request.Url ?? stored?.Url;
        if (request.Url is not null && shown is not null && request.Url == shown.MaskedAddress)
        {
            url = stored!.Url;
        }
        var options = request.HasOptions ? KeepSecrets(request.Options, sameFormat ? shown : null)
            : sameFormat && stored!.OptionsJson is { } json ? JsonDocument.Parse(json).RootElement.Clone() : (JsonElement?)null;
        var template = request.HasTemplate ? request.Template : sameFormat ? stored!.Template : null;
        var types = request.HasTypes ? request.Types : stored is null ? format?.DefaultTypes : stored.Types;

        // Its own errors, so that a field the body's reading already failed (url: 42) keeps that, more precise, message.
        var found = new ValidationErrors();
        var destination = formats.Validate(new DestinationInput(formatName, url, options, template, types), found);
        foreach (var (field, messages) in found.ToDictionary().Where(pair => !errors.Contains(pair.Key)))
        {
            foreach (var message in messages)
            {
                errors.Add(field, message);
            }
        }
        return destination is null ? null : new CheckedDestination(destination, types, template);
    }

    private static NotificationDestination? TryOpen(WebhookSender sender, WebhookRecord stored)
    {
        try
        {
            return sender.Destination(stored);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The options sent, with each secret option that came back as <c>****</c> replaced by its stored value.</summary>
    private static JsonElement? KeepSecrets(JsonElement? options, NotificationDestination? stored)
    {
        if (options is not { ValueKind: JsonValueKind.Object } given || stored is null)
        {
            return options;
        }
        var secret = stored.Format.Options.Where(o => o.Secret).Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var merged = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in given.EnumerateObject())
        {
            merged[property.Name] = secret.Contains(property.Name) && property.Value.ValueKind == JsonValueKind.String
                && property.Value.GetString() == FormatOption.Mask && stored.Option(property.Name) is { } value
                    ? JsonSerializer.SerializeToElement(value)
                    : property.Value;
        }
        return JsonSerializer.SerializeToElement(merged);
    }
}
