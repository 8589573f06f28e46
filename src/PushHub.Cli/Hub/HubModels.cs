using System.Text.Json;

namespace PushHub.Cli.Hub;

/// <summary>A stored event, as every endpoint of the hub shows it.</summary>
public sealed record HubEvent(long Seq, string TaskId, string Type, DateTimeOffset Timestamp, JsonElement Data)
{
    /// <summary><c>data.percent</c> when it is a number.</summary>
    public double? Percent => Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty("percent", out var value)
        && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    /// <summary><c>data.message</c> when it is a string.</summary>
    public string? Message => Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty("message", out var value)
        && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>The answer to a poll.</summary>
public sealed record PollPage(IReadOnlyList<HubEvent> Events, long LastSeq, bool Truncated);

/// <summary>The answer to a batch publish.</summary>
public sealed record EventList(IReadOnlyList<HubEvent> Events);

/// <summary>A task's state, derived by the hub from its events.</summary>
public sealed record TaskSnapshot(string TaskId, string Status, double? Percent, string? Message, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt, long LastSeq, long EventCount);

/// <summary>The answer to <c>GET /tasks</c>.</summary>
public sealed record TaskList(IReadOnlyList<TaskSnapshot> Tasks);

/// <summary>A registered webhook; <see cref="Secret"/> is there only in the answer to its creation.</summary>
public sealed record Webhook(string Id, string Url, string? TaskId, IReadOnlyList<string>? Types, string? Description, bool Enabled,
    string? DisabledReason, DateTimeOffset CreatedAt, string? Secret, string? Format = null, WebhookFallback? Fallback = null);

/// <summary>Where a webhook's event goes when it dead-letters, or is not delivered within <see cref="After"/>.</summary>
public sealed record WebhookFallback(string WebhookId, TimeSpan? After);

/// <summary>The answer to <c>GET /webhooks</c>.</summary>
public sealed record WebhookList(IReadOnlyList<Webhook> Webhooks);

/// <summary>One line of a webhook's attempt log.</summary>
public sealed record DeliveryAttempt(long Seq, int Attempt, string Outcome, int? ResponseStatus, double DurationMs, string? Error,
    DateTimeOffset AttemptedAt, DateTimeOffset? NextAttemptAt);

/// <summary>The answer to <c>POST /webhooks/{id}/test</c>: the attempt as the attempt log records it, with the answer's first KiB.</summary>
public sealed record TestAttempt(long Seq, int Attempt, string Outcome, int? ResponseStatus, double DurationMs, string? Error,
    string? Response, DateTimeOffset AttemptedAt);

/// <summary>The answer to <c>GET /webhooks/{id}/deliveries</c>.</summary>
public sealed record DeliveryList(IReadOnlyList<DeliveryAttempt> Deliveries);

/// <summary>A delivery the hub gave up on.</summary>
public sealed record DeadLetter(long Id, string WebhookId, long Seq, string TaskId, string Type, string Reason, int Attempts,
    int? LastStatus, DateTimeOffset CreatedAt);

/// <summary>The answer to <c>GET /dead-letters</c>.</summary>
public sealed record DeadLetterList(IReadOnlyList<DeadLetter> DeadLetters);

/// <summary>How many deliveries a replay queued.</summary>
public sealed record ReplayResult(int Queued);

/// <summary>The part of <c>GET /stats</c> the client needs: where the log ends now.</summary>
public sealed record HubStats(long HeadSeq);

/// <summary>A parsed answer together with the hub's JSON as it came, for <c>--json</c>.</summary>
public sealed record HubReply<T>(T Value, string Json, int Status);
