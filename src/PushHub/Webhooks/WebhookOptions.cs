using System.ComponentModel.DataAnnotations;

namespace PushHub.Webhooks;

/// <summary>Webhook delivery settings, bound from the <c>Webhooks</c> section and checked at start.</summary>
public sealed class WebhookOptions : IValidatableObject
{
    public const string Section = "Webhooks";

    /// <summary>How long one attempt may take before it counts as failed.</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>The wait before each retry; after the last, a delivery becomes a dead letter.</summary>
    public List<TimeSpan> RetrySchedule { get; set; } = [];

    /// <summary>How long a rotated-out secret keeps signing beside the new one.</summary>
    public TimeSpan SecretGracePeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Lifts the SSRF guard so that loopback and private addresses may receive deliveries.</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Attempts in flight across all endpoints.</summary>
    [Range(1, 10000)]
    public int MaxConcurrentDeliveries { get; set; } = 256;

    /// <summary>Attempts in flight to one endpoint, so a slow one cannot take every slot.</summary>
    [Range(1, 1000)]
    public int MaxConcurrentPerEndpoint { get; set; } = 16;

    /// <summary>Attempts to one endpoint within <see cref="CircuitSamplingDuration"/> before its circuit may open.</summary>
    [Range(2, 10000)]
    public int CircuitMinimumThroughput { get; set; } = 10;

    /// <summary>The share of failed attempts that opens an endpoint's circuit.</summary>
    [Range(0.01, 1.0)]
    public double CircuitFailureRatio { get; set; } = 0.5;

    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit defers deliveries (without spending their attempts).</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a dispatcher's claim on a delivery lasts. No other dispatcher (on this node or another) sends the
    /// delivery meanwhile; if the claimer dies mid-attempt, another sends it once the lease ends (same
    /// <c>webhook-id</c>). It must outlast an attempt (<see cref="TimeoutSeconds"/>) by <see cref="LeaseMargin"/>.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How much longer than <see cref="TimeoutSeconds"/> a lease must be: room to record the attempt.</summary>
    public static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(10);

    /// <summary>The contract's schedule, used when none is configured.</summary>
    public static readonly IReadOnlyList<TimeSpan> DefaultRetrySchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10),
        TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4), TimeSpan.FromHours(8),
    ];

    /// <summary>The configured schedule, or the default one.</summary>
    public IReadOnlyList<TimeSpan> EffectiveRetrySchedule => RetrySchedule.Count > 0 ? RetrySchedule : DefaultRetrySchedule;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RetrySchedule.Any(delay => delay <= TimeSpan.Zero || delay > TimeSpan.FromDays(7)))
        {
            yield return new ValidationResult("Webhooks:RetrySchedule entries must be from 00:00:00.001 to 7.00:00:00", [nameof(RetrySchedule)]);
        }
        if (SecretGracePeriod < TimeSpan.Zero || SecretGracePeriod > TimeSpan.FromDays(30))
        {
            yield return new ValidationResult("Webhooks:SecretGracePeriod must be from 00:00:00 to 30.00:00:00", [nameof(SecretGracePeriod)]);
        }
        var shortestLease = TimeSpan.FromSeconds(TimeoutSeconds) + LeaseMargin;
        if (LeaseDuration < shortestLease || LeaseDuration > TimeSpan.FromDays(1))
        {
            yield return new ValidationResult(
                $"Webhooks:LeaseDuration must be at least Webhooks:TimeoutSeconds + 10 s ({shortestLease:c}), so that a claim outlasts " +
                "its attempt, and at most 1.00:00:00", [nameof(LeaseDuration)]);
        }
        if (CircuitSamplingDuration < TimeSpan.FromMilliseconds(500) || CircuitBreakDuration < TimeSpan.FromMilliseconds(500))
        {
            yield return new ValidationResult(
                "Webhooks:CircuitSamplingDuration and Webhooks:CircuitBreakDuration must be at least 00:00:00.5",
                [nameof(CircuitSamplingDuration), nameof(CircuitBreakDuration)]);
        }
    }
}
