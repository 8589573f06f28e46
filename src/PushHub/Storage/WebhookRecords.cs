namespace PushHub.Storage;

/// <summary>
/// A webhook as stored, secrets included: what the append step matches and the dispatcher sends with. The API never
/// shows it as it is (secrets are write-only there).
/// </summary>
public sealed record WebhookRecord
{
    /// <summary>How many lines of one webhook's attempt log a provider keeps at most.</summary>
    public const int MaxAttemptLog = 1000;

    public required string Id { get; init; }

    /// <summary>The destination as registered (it may hold a token: write-only for the API).</summary>
    public required string Url { get; init; }

    /// <summary>The notification format: <c>standard</c>, <c>slack</c>, <c>discord</c>, <c>teams</c>, <c>telegram</c>,
    /// <c>pagerduty</c> or <c>email</c>. Opaque to the store.</summary>
    public string Format { get; init; } = "standard";

    /// <summary>An exact task id, a prefix ending in <c>*</c>, or <c>*</c>; null for every task (see <see cref="Security.TaskPattern"/>).</summary>
    public string? TaskPattern { get; init; }

    /// <summary>The event types delivered; null for every type.</summary>
    public IReadOnlyList<string>? Types { get; init; }

    /// <summary>The format's options as a JSON object (chat id, routing key, …), secrets included. Opaque to the store.</summary>
    public string? OptionsJson { get; init; }

    /// <summary>A Liquid template for the message text, or null for the format's default. Opaque to the store.</summary>
    public string? Template { get; init; }

    /// <summary>Where an event goes when a delivery here dead-letters or has not succeeded within <see cref="FallbackAfter"/>.</summary>
    public string? FallbackWebhookId { get; init; }

    /// <summary>How long after its event's commit an undelivered delivery is handed to the fallback; null: only on dead letter.</summary>
    public TimeSpan? FallbackAfter { get; init; }

    /// <summary>When true, only the newest pending <c>task.progress</c> delivery of a task is sent (chat, paging, email).</summary>
    public bool CoalesceProgress { get; init; }

    public string? Description { get; init; }

    /// <summary>The signing secret (<c>whsec_…</c>, or any string).</summary>
    public required string Secret { get; init; }

    /// <summary>The secret before the last rotation, which keeps signing until <see cref="PreviousSecretUntil"/>.</summary>
    public string? PreviousSecret { get; init; }

    public DateTimeOffset? PreviousSecretUntil { get; init; }

    public bool Enabled { get; init; } = true;

    public string? DisabledReason { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Whether an event of <paramref name="taskId"/> and <paramref name="type"/> is delivered here (enabled or not).</summary>
    public bool Matches(string taskId, string type) =>
        (TaskPattern is null || Security.TaskPattern.Matches(TaskPattern, taskId))
        && (Types is null || Types.Contains(type, StringComparer.Ordinal));
}

/// <summary>A delivery handed out by <see cref="IWebhookStore.ClaimDueAsync"/>; only its claim may resolve it.</summary>
/// <param name="Id">The delivery's id in the outbox.</param>
/// <param name="Seq">The event's seq: the <c>webhook-id</c> is <c>evt_&lt;seq&gt;</c> on every attempt.</param>
/// <param name="EventTimestamp">When the event was committed (a fallback's <c>after</c> counts from it).</param>
/// <param name="Attempts">Attempts spent so far (deferrals spend none).</param>
/// <param name="Json">The event exactly as stored; null only when it is no longer stored anywhere.</param>
/// <param name="FallbackFrom">The webhook whose delivery handed this event over, or null for a delivery of its own.</param>
/// <param name="ClaimToken">Identifies this claim to <see cref="IWebhookStore.ResolveAsync"/>.</param>
public sealed record ClaimedDelivery(
    long Id,
    string WebhookId,
    long Seq,
    string TaskId,
    string Type,
    DateTimeOffset EventTimestamp,
    int Attempts,
    int? LastStatus,
    ReadOnlyMemory<byte>? Json,
    string? FallbackFrom,
    long ClaimToken);

/// <summary>What one claim handed out, and how many superseded progress deliveries it removed instead.</summary>
public sealed record DeliveryClaim(IReadOnlyList<ClaimedDelivery> Deliveries, int Coalesced)
{
    public static readonly DeliveryClaim Empty = new([], 0);
}

/// <summary>How an attempt (or a decision not to attempt) leaves a claimed delivery.</summary>
public abstract record DeliveryResolution
{
    private DeliveryResolution()
    {
    }

    /// <summary>Sent: the delivery leaves the outbox.</summary>
    public sealed record Delivered : DeliveryResolution;

    /// <summary>Back to pending until <paramref name="At"/>; <paramref name="SpendsAttempt"/> false for a deferral
    /// (an open circuit, a rate limit's Retry-After, pacing), which does not count against the retry schedule.</summary>
    public sealed record Retry(DateTimeOffset At, bool SpendsAttempt) : DeliveryResolution;

    /// <summary>Given up: the delivery becomes a dead letter with its own copy of the event. When the webhook has a
    /// fallback and this delivery was not handed to it yet, the same event is enqueued there too (a line in both logs).</summary>
    public sealed record DeadLetter(string Reason) : DeliveryResolution;

    /// <summary>The destination is gone (410, or a format's "disable" answer): the webhook is disabled with
    /// <paramref name="Reason"/>, and everything it has pending becomes a dead letter (fallbacks as for <see cref="DeadLetter"/>).</summary>
    public sealed record Disable(string Reason) : DeliveryResolution;

    /// <summary>Dropped without a dead letter (its event is no longer stored anywhere).</summary>
    public sealed record Discard(string Reason) : DeliveryResolution;

    /// <summary>The claim is given back as it was (the node is stopping): due again at once, no attempt spent.</summary>
    public sealed record Release : DeliveryResolution;
}

/// <summary>What <see cref="IWebhookStore.ResolveManyAsync"/> records for one claimed delivery: the attempt (if one was
/// made) and how it leaves the delivery.</summary>
public sealed record DeliveryOutcome(ClaimedDelivery Delivery, DeliveryAttemptRecord? Attempt, DeliveryResolution Resolution);

/// <summary>One line of a webhook's attempt log.</summary>
/// <param name="Outcome">succeeded, failed, deferred, gone, disabled, dead_letter, lost, fallback, test, …</param>
/// <param name="Error">What went wrong, with every secret masked.</param>
/// <param name="Response">The first 1 KiB of the answer, with every secret masked.</param>
public sealed record DeliveryAttemptRecord(
    string WebhookId,
    long Seq,
    int Attempt,
    string Outcome,
    int? Status,
    double DurationMs,
    string? Error,
    string? Response,
    DateTimeOffset AttemptedAt,
    DateTimeOffset? NextAttemptAt);

/// <summary>A delivery given up on, with its own copy of the event so that retention cannot take it away.</summary>
public sealed record DeadLetterRecord(
    long Id,
    string WebhookId,
    long Seq,
    string TaskId,
    string Type,
    string Reason,
    int Attempts,
    int? LastStatus,
    DateTimeOffset CreatedAt);

/// <summary>Counts for <c>/stats</c> and <c>/metrics</c>.</summary>
public sealed record WebhookCounts(long EnabledWebhooks, long PendingDeliveries, long DeadLetters);
