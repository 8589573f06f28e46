using System.ComponentModel.DataAnnotations;

namespace PushHub.Hub;

/// <summary>Size limits on published events, bound from the <c>Limits</c> section.</summary>
public sealed class LimitsOptions
{
    public const string Section = "Limits";

    /// <summary>The largest stored event, in bytes, with its seq and timestamp.</summary>
    [Range(256, 16 * 1024 * 1024, ErrorMessage = "Limits:MaxEventBytes must be from 256 to 16777216.")]
    public int MaxEventBytes { get; set; } = 65536;

    /// <summary>The most events one <c>POST /events</c> array may hold.</summary>
    [Range(1, 10000, ErrorMessage = "Limits:MaxBatchEvents must be from 1 to 10000.")]
    public int MaxBatchEvents { get; set; } = 1000;

    /// <summary>The largest request body accepted by <c>POST /events</c>, in bytes.</summary>
    [Range(1024, 1024L * 1024 * 1024, ErrorMessage = "Limits:MaxRequestBytes must be from 1024 to 1073741824.")]
    public long MaxRequestBytes { get; set; } = 16 * 1024 * 1024;
}
