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

/// <summary>A delivery given up on; it keeps its own copy of the event so that retention cannot take it away.</summary>
public sealed record DeadLetter(
    long Id,
    string WebhookId,
    long Seq,
    string TaskId,
    string Type,
    string Reason,
    int Attempts,
    int? LastStatus,
    DateTimeOffset CreatedAt);

/// <summary>A webhook as stored, with its secrets and filter; what the outbox and the dispatcher work from.</summary>
internal sealed class WebhookRow
{
    public const string Columns =
        "id AS Id, url AS Url, task_id AS TaskId, types AS Types, description AS Description, secret AS Secret, " +
        "previous_secret AS PreviousSecret, previous_until AS PreviousUntil, enabled AS Enabled, " +
        "disabled_reason AS DisabledReason, created_at AS CreatedAt, updated_at AS UpdatedAt";

    public string Id { get; set; } = "";
    public string Url { get; set; } = "";
    public string? TaskId { get; set; }
    public string? Types { get; set; }
    public string? Description { get; set; }
    public string Secret { get; set; } = "";
    public string? PreviousSecret { get; set; }
    public long? PreviousUntil { get; set; }
    public bool Enabled { get; set; }
    public string? DisabledReason { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }

    public IReadOnlyList<string>? TypeList => Types?.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public static string? JoinTypes(IReadOnlyList<string>? types) => types is null or { Count: 0 } ? null : string.Join(' ', types);

    public Webhook ToWebhook() => new(Id, Url, TaskId, TypeList, Description, Enabled, DisabledReason,
        DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt));

    public WebhookWithSecret ToWebhookWithSecret() => new(Id, Url, TaskId, TypeList, Description, Enabled,
        DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), Secret,
        PreviousSecret is null || PreviousUntil is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(PreviousUntil.Value));
}
