using System.ComponentModel.DataAnnotations;

namespace PushHub.Tasks;

/// <summary>Task tracking settings, bound from the <c>Tasks</c> section.</summary>
public sealed class TasksOptions
{
    public const string Section = "Tasks";

    /// <summary>A running task silent this long gets a <c>task.stuck</c> event from the hub.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00", ErrorMessage = "Tasks:StuckAfter must be from 00:00:01 to 365.00:00:00.")]
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often running tasks are checked for silence.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Tasks:StuckCheckInterval must be from 00:00:01 to 1.00:00:00.")]
    public TimeSpan StuckCheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}
