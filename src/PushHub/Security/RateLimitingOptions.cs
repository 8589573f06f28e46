using System.ComponentModel.DataAnnotations;

namespace PushHub.Security;

/// <summary>Publish rate limits per API key, bound from the <c>RateLimiting</c> section (a token bucket per key).</summary>
public sealed class RateLimitingOptions
{
    public const string Section = "RateLimiting";

    /// <summary>
    /// Publish requests per second each key may make on average; 0 turns the limit off. The default stays clear of
    /// the contract's throughput targets (15,000 single-event publishes per second) so that it only stops runaways.
    /// </summary>
    [Range(0, 1_000_000, ErrorMessage = "RateLimiting:PermitsPerSecond must be from 0 (no limit) to 1000000.")]
    public int PermitsPerSecond { get; set; } = 100_000;

    /// <summary>How many requests a key may make at once above the average rate.</summary>
    [Range(1, 10_000_000, ErrorMessage = "RateLimiting:Burst must be from 1 to 10000000.")]
    public int Burst { get; set; } = 200_000;
}

/// <summary>Browser origins allowed to call the hub, bound from the <c>Cors</c> section.</summary>
public sealed class HubCorsOptions
{
    public const string Section = "Cors";

    /// <summary>Origins such as <c>https://app.example.com</c>; empty sends no CORS headers at all.</summary>
    public List<string> AllowedOrigins { get; set; } = [];
}
