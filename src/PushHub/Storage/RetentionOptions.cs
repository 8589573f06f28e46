using System.ComponentModel.DataAnnotations;

namespace PushHub.Storage;

/// <summary>How long events are kept, bound from the <c>Retention</c> section.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    [Range(1, long.MaxValue, ErrorMessage = "Retention:MaxEvents must be at least 1.")]
    public long MaxEvents { get; set; } = 1_000_000;

    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00", ErrorMessage = "Retention:MaxAge must be from 00:00:01 to 3650.00:00:00.")]
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the retention sweep runs.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Retention:Interval must be from 00:00:01 to 1.00:00:00.")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);
}
