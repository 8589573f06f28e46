namespace PushHub.Webhooks.Formats;

/// <summary>What the pipeline does with a delivery after an answer.</summary>
internal enum VerdictKind
{
    /// <summary>Done: record success.</summary>
    Delivered,

    /// <summary>A rate-limit deferral (429 + Retry-After): try again at <see cref="DeliveryVerdict.RetryAt"/>, spending no
    /// attempt and not counting against the endpoint's circuit breaker.</summary>
    RetryAt,

    /// <summary>A failure worth retrying on the retry schedule (and counting towards the breaker).</summary>
    Transient,

    /// <summary>A failure that no retry will cure (bad request, unknown chat): dead-letter at once.</summary>
    Permanent,

    /// <summary>The destination is gone (revoked token, deleted channel): disable it and dead-letter what it has pending.</summary>
    Disable,
}

/// <summary>
/// A format's reading of one answer. <see cref="Reason"/> is a sentence for the attempt log and dead letter; it is
/// built from the answer's status and the service's error text, never from the destination's URL or options.
/// </summary>
internal readonly record struct DeliveryVerdict(VerdictKind Kind, string? Reason, DateTimeOffset? RetryAt = null)
{
    public static DeliveryVerdict Delivered { get; } = new(VerdictKind.Delivered, null);

    public static DeliveryVerdict At(DateTimeOffset when, string reason) => new(VerdictKind.RetryAt, reason, when);

    public static DeliveryVerdict Transient(string reason) => new(VerdictKind.Transient, reason);

    public static DeliveryVerdict Permanent(string reason) => new(VerdictKind.Permanent, reason);

    public static DeliveryVerdict Disable(string reason) => new(VerdictKind.Disable, reason);

    /// <summary>Whether the answer counts against the endpoint's circuit: transient failures do, deferrals do not.</summary>
    public bool IsEndpointFailure => Kind == VerdictKind.Transient;

    public override string ToString() => RetryAt is { } at ? $"{Kind} until {at:O}: {Reason}" : $"{Kind}: {Reason}";
}
