using System.ComponentModel.DataAnnotations;

namespace PushHub.Hub;

/// <summary>Fan-out settings, bound from the <c>Hub</c> section.</summary>
public sealed class HubOptions : IValidatableObject
{
    public const string Section = "Hub";

    /// <summary>
    /// How many bytes of live events may wait for one subscriber. A subscriber whose queue is full is not dropped: it
    /// reads the store from its cursor and rejoins the live feed once it has caught up, so this bounds the memory
    /// one slow reader pins, however large or many the events.
    /// </summary>
    [Range(65536, 1L << 30, ErrorMessage = "Hub:SubscriberQueueBytes must be from 65536 (64 KiB) to 1073741824 (1 GiB).")]
    public long SubscriberQueueBytes { get; set; } = 1 << 20;

    /// <summary>A connection whose socket accepts nothing at all for this long is closed; its client resumes from its last seq.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Hub:StalledWriteTimeout must be from 00:00:01 to 01:00:00.")]
    public TimeSpan StalledWriteTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The address people reach this hub's dashboard at (behind a proxy, the public one), such as
    /// <c>https://push.example.com</c>. When set, notifications link to the task: <c>&lt;PublicUrl&gt;/#/tasks/&lt;id&gt;</c>.
    /// </summary>
    public Uri? PublicUrl { get; set; }

    /// <summary>
    /// Answer plain HTTP/1.1 polls (<c>GET /events</c>) from Kestrel connection middleware
    /// (<see cref="PushHub.Http.HubConnectionHandler"/>) rather than through the request pipeline: the same answers
    /// for a fraction of the CPU and garbage per poll. Off: every poll goes through the endpoint.
    /// </summary>
    public bool PollConnectionHandler { get; set; } = true;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PublicUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
                                     || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment)))
        {
            yield return new ValidationResult("Hub:PublicUrl must be an absolute http or https URL without query or fragment, such as https://push.example.com", [nameof(PublicUrl)]);
        }
    }
}
