using System.ComponentModel.DataAnnotations;

namespace PushHub.Hub;

/// <summary>Fan-out settings, bound from the <c>Hub</c> section.</summary>
public sealed class HubOptions : IValidatableObject
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

    /// <summary>
    /// The address people reach this hub's dashboard at (behind a proxy, the public one), such as
    /// <c>https://push.example.com</c>. When set, notifications link to the task: <c>&lt;PublicUrl&gt;/#/tasks/&lt;id&gt;</c>.
    /// </summary>
    public Uri? PublicUrl { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PublicUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
                                     || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment)))
        {
            yield return new ValidationResult("Hub:PublicUrl must be an absolute http or https URL without query or fragment, such as https://push.example.com", [nameof(PublicUrl)]);
        }
    }
}
