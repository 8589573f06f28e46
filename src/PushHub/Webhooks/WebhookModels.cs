using PushHub.Storage;
using PushHub.Webhooks.Formats;

namespace PushHub.Webhooks;

/// <summary>
/// A registered webhook as the API shows it: the secret is never part of it, the URL's secret parts (tokens,
/// signatures, query values) and secret options are shown as <c>****</c>.
/// </summary>
public sealed record Webhook(
    string Id,
    string Url,
    string Format,
    IReadOnlyDictionary<string, string> Options,
    string? Template,
    string? TaskId,
    IReadOnlyList<string>? Types,
    WebhookFallback? Fallback,
    string? Description,
    bool Enabled,
    string? DisabledReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>The answer to create and rotate-secret: the only places a secret is shown (URL and options masked as in <see cref="Webhook"/>).</summary>
public sealed record WebhookWithSecret(
    string Id,
    string Url,
    string Format,
    IReadOnlyDictionary<string, string> Options,
    string? Template,
    string? TaskId,
    IReadOnlyList<string>? Types,
    WebhookFallback? Fallback,
    string? Description,
    bool Enabled,
    DateTimeOffset CreatedAt,
    string Secret,
    DateTimeOffset? PreviousSecretExpiresAt);

/// <summary>
/// Where an event goes when a delivery dead-letters, or (with <paramref name="After"/>, shown as <c>"00:05:00"</c>) has
/// not succeeded that long after its event was committed.
/// </summary>
public sealed record WebhookFallback(string WebhookId, TimeSpan? After);

/// <summary>One line of the attempt log.</summary>
public sealed record DeliveryAttempt(
    long Seq,
    int Attempt,
    string Outcome,
    int? ResponseStatus,
    double DurationMs,
    string? Error,
    string? Response,
    DateTimeOffset AttemptedAt,
    DateTimeOffset? NextAttemptAt);

/// <summary>The API's views of the stored records (a dead letter is shown as <see cref="DeadLetterRecord"/> is).</summary>
internal static class WebhookViews
{
    /// <summary>The webhook as shown; <paramref name="destination"/> is its opened destination, which masks URL and options.</summary>
    public static Webhook ToWebhook(this WebhookRecord webhook, NotificationDestination destination) => new(webhook.Id, destination.MaskedAddress,
        destination.Format.Name, destination.MaskedOptions, webhook.Template, webhook.TaskPattern, webhook.Types,
        webhook.ToFallback(), webhook.Description, webhook.Enabled, webhook.DisabledReason, webhook.CreatedAt, webhook.UpdatedAt);

    public static WebhookWithSecret ToWebhookWithSecret(this WebhookRecord webhook, NotificationDestination destination) => new(webhook.Id,
        destination.MaskedAddress, destination.Format.Name, destination.MaskedOptions, webhook.Template, webhook.TaskPattern,
        webhook.Types, webhook.ToFallback(), webhook.Description, webhook.Enabled, webhook.CreatedAt, webhook.Secret,
        webhook.PreviousSecret is null ? null : webhook.PreviousSecretUntil);

    private static WebhookFallback? ToFallback(this WebhookRecord webhook) =>
        webhook.FallbackWebhookId is { } id ? new WebhookFallback(id, webhook.FallbackAfter) : null;

    public static DeliveryAttempt ToDeliveryAttempt(this DeliveryAttemptRecord attempt) => new(attempt.Seq, attempt.Attempt, attempt.Outcome,
        attempt.Status, attempt.DurationMs, attempt.Error, attempt.Response, attempt.AttemptedAt, attempt.NextAttemptAt);
}
