using System.ComponentModel.DataAnnotations;

namespace PushHub.WebSockets;

/// <summary>Raw WebSocket settings, bound from the <c>WebSockets</c> section.</summary>
public sealed class PushWebSocketOptions
{
    public const string Section = "WebSockets";

    /// <summary>Seconds between WebSocket ping frames, which keep proxies from closing an idle connection; a client
    /// that does not answer one within as long again is dropped.</summary>
    [Range(1, 3600, ErrorMessage = "WebSockets:KeepAliveSeconds must be from 1 to 3600.")]
    public int KeepAliveSeconds { get; set; } = 15;

    /// <summary>The largest client frame, in bytes; a longer one gets an error frame and is ignored.</summary>
    [Range(256, 1024 * 1024, ErrorMessage = "WebSockets:MaxMessageBytes must be from 256 to 1048576.")]
    public int MaxMessageBytes { get; set; } = 4096;

    /// <summary>How many tasks one connection may follow at once.</summary>
    [Range(1, 10_000, ErrorMessage = "WebSockets:MaxSubscriptions must be from 1 to 10000.")]
    public int MaxSubscriptions { get; set; } = 100;
}
