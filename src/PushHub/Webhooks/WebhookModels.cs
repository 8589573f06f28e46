using PushHub.Storage;

namespace PushHub.Webhooks;

/// <summary>A registered webhook as the API shows it; the secret is never part of it.</summary>
public sealed record Webhook(
    string Id,
    string Url,
    string? TaskId,
    IReadOnlyList<string>? Types,
    string? Description,
    bool Enabled,
    string? DisabledReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>The answer to create and rotate-secret: the only places a secret is shown.</summary>
public sealed record WebhookWithSecret(
    string Id,
    string Url,
    string? TaskId,
    IReadOnlyList<string>? Types,
    string? Description,
    bool Enabled,
    DateTimeOffset CreatedAt,
    string Secret,
    DateTimeOffset? PreviousSecretExpiresAt);

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
    public static Webhook ToWebhook(this WebhookRecord webhook) => new(webhook.Id, webhook.Url, webhook.TaskPattern, webhook.Types,
        webhook.Description, webhook.Enabled, webhook.DisabledReason, webhook.CreatedAt, webhook.UpdatedAt);

    public static WebhookWithSecret ToWebhookWithSecret(this WebhookRecord webhook) => new(webhook.Id, webhook.Url, webhook.TaskPattern,
        webhook.Types, webhook.Description, webhook.Enabled, webhook.CreatedAt, webhook.Secret,
        webhook.PreviousSecret is null ? null : webhook.PreviousSecretUntil);

    public static DeliveryAttempt ToDeliveryAttempt(this DeliveryAttemptRecord attempt) => new(attempt.Seq, attempt.Attempt, attempt.Outcome,
        attempt.Status, attempt.DurationMs, attempt.Error, attempt.Response, attempt.AttemptedAt, attempt.NextAttemptAt);
}
