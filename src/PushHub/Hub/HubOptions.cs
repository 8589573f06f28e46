using System.ComponentModel.DataAnnotations;

namespace PushHub.Hub;

/// <summary>Fan-out settings, bound from the <c>Hub</c> section.</summary>
public sealed class HubOptions
{
    public const string Section = "Hub";

    /// <summary>
    /// How many live events may wait for one subscriber. A subscriber further behind than this is disconnected
    /// and resumes from the store. The feed hands over a whole group commit at once, so this should be at least
    /// <c>Storage:MaxBatchEvents</c> + <c>Limits:MaxBatchEvents</c> (the largest commit); otherwise one large
    /// commit drops subscribers that are keeping up (they resume without loss, but needlessly).
    /// </summary>
    [Range(16, 1_000_000, ErrorMessage = "Hub:SubscriberQueueCapacity must be from 16 to 1000000.")]
    public int SubscriberQueueCapacity { get; set; } = 8192;
}
