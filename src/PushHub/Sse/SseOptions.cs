using System.ComponentModel.DataAnnotations;

namespace PushHub.Sse;

/// <summary>Server-Sent Events settings, bound from the <c>Sse</c> section.</summary>
public sealed class SseOptions
{
    public const string Section = "Sse";

    /// <summary>Seconds between <c>: keepalive</c> comments, which keep proxies from closing an idle stream.</summary>
    [Range(1, 3600, ErrorMessage = "Sse:KeepAliveSeconds must be from 1 to 3600.")]
    public int KeepAliveSeconds { get; set; } = 15;

    /// <summary>The <c>retry:</c> hint sent first: how long a browser waits before reconnecting, in milliseconds.</summary>
    [Range(0, 600_000, ErrorMessage = "Sse:RetryMilliseconds must be from 0 to 600000.")]
    public int RetryMilliseconds { get; set; } = 3000;

    /// <summary>
    /// Serve plain HTTP/1.1 streams from Kestrel connection middleware (<see cref="PushHub.Http.HubConnectionHandler"/>) rather
    /// than through the request pipeline: the same stream for about half the memory per open connection. Off: every
    /// stream goes through the endpoint.
    /// </summary>
    public bool ConnectionHandler { get; set; } = true;
}
