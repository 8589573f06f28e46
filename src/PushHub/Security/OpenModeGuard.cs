using System.Net;
using Microsoft.Extensions.Options;

namespace PushHub.Security;

/// <summary>
/// Runs before the server listens: warns loudly when the hub is open (no API keys), and refuses to start open on
/// a non-loopback address unless <c>Auth:AllowAnonymous</c> is true.
/// </summary>
public sealed partial class OpenModeGuard(AuthMode mode, IOptions<AuthOptions> options, IConfiguration configuration, ILogger<OpenModeGuard> logger)
    : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (!mode.IsOpen)
        {
            LogKeys(logger, options.Value.ApiKeys.Count);
            return Task.CompletedTask;
        }
        var exposed = ListeningAddresses(configuration).Where(address => !IsLoopback(address)).ToList();
        if (exposed.Count > 0 && !options.Value.AllowAnonymous)
        {
            var message = $"PushHub refuses to start open on the non-loopback address {string.Join(", ", exposed)}: no API keys are configured "
                + "(Auth:ApiKeys), so anyone who can reach it could publish and read every task. Configure Auth:ApiKeys, listen on "
                + "127.0.0.1, or set Auth:AllowAnonymous to true to accept that.";
            LogRefused(logger, message);
            throw new InvalidOperationException(message);
        }
        LogOpen(logger);
        return Task.CompletedTask;
    }

    /// <summary>The addresses the server will listen on, from the settings ASP.NET Core itself reads.</summary>
    public static IEnumerable<string> ListeningAddresses(IConfiguration configuration)
    {
        var urls = configuration[WebHostDefaults.ServerUrlsKey];
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            yield return url;
        }
        foreach (var key in new[] { "http_ports", "https_ports" })
        {
            if (string.IsNullOrEmpty(urls) && !string.IsNullOrEmpty(configuration[key]))
            {
                // HTTP_PORTS binds every interface.
                yield return "http://*:" + configuration[key];
            }
        }
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            if (endpoint["Url"] is { Length: > 0 } url)
            {
                yield return url;
            }
        }
    }

    /// <summary>True for <c>localhost</c> and loopback IP addresses; wildcards and other names are not loopback.</summary>
    public static bool IsLoopback(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var rest = schemeEnd < 0 ? url : url[(schemeEnd + 3)..];
        var slash = rest.IndexOf('/');
        var hostPort = slash < 0 ? rest : rest[..slash];
        string host;
        if (hostPort.StartsWith('['))
        {
            host = hostPort[1..Math.Max(1, hostPort.IndexOf(']'))];
        }
        else
        {
            var colon = hostPort.LastIndexOf(':');
            host = colon < 0 ? hostPort : hostPort[..colon];
        }
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "PushHub is running OPEN: no API keys are configured (Auth:ApiKeys), so every caller "
        + "may publish and read every task. Add keys before exposing it beyond this machine.")]
    private static partial void LogOpen(ILogger logger);

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Message}")]
    private static partial void LogRefused(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Authentication is on: {KeyCount} API keys configured")]
    private static partial void LogKeys(ILogger logger, int keyCount);
}
