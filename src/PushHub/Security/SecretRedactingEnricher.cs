using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Serilog.Core;
using Serilog.Events;

namespace PushHub.Security;

/// <summary>
/// Scrubs credentials from every log event before any sink sees it: <c>access_token=</c> values, <c>Bearer</c> values,
/// JWT-shaped strings, the configured API keys and signing key, and properties named after credential headers.
/// Serilog picks it up from the service container (<c>ReadFrom.Services</c>). The framework's own "Request starting"
/// line, for one, carries the full query string when its level is lowered.
/// </summary>
public sealed partial class SecretRedactingEnricher : ILogEventEnricher
{
    public const string Redacted = "[redacted]";

    private static readonly HashSet<string> s_secretProperties = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "X-Api-Key", "access_token", "Key", "ApiKey", "Token", "TokenSigningKey", "Secret",
    };

    private readonly string[] _secrets;

    public SecretRedactingEnricher(IOptions<AuthOptions> options) =>
        _secrets = [.. options.Value.ApiKeys.Select(key => key.Key).Append(options.Value.TokenSigningKey)
            .Where(secret => !string.IsNullOrEmpty(secret)).Select(secret => secret!)];

    [GeneratedRegex(@"(access_token=)[^&\s""']*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AccessTokenParameter();

    [GeneratedRegex(@"(Bearer\s+)[^\s""',]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BearerValue();

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", RegexOptions.CultureInvariant)]
    private static partial Regex JwtShape();

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        foreach (var (name, value) in logEvent.Properties.ToList())
        {
            if (value is not ScalarValue { Value: string text })
            {
                continue;
            }
            var clean = s_secretProperties.Contains(name) ? Redacted : Redact(text);
            if (!ReferenceEquals(clean, text))
            {
                logEvent.AddOrUpdateProperty(new LogEventProperty(name, new ScalarValue(clean)));
            }
        }
    }

    /// <summary><paramref name="text"/> with every credential replaced; the same instance when there was none.</summary>
    public string Redact(string text)
    {
        var result = text;
        if (result.Contains("access_token=", StringComparison.OrdinalIgnoreCase))
        {
            result = AccessTokenParameter().Replace(result, "$1" + Redacted);
        }
        if (result.Contains("bearer", StringComparison.OrdinalIgnoreCase))
        {
            result = BearerValue().Replace(result, "$1" + Redacted);
        }
        if (result.Contains("eyJ", StringComparison.Ordinal))
        {
            result = JwtShape().Replace(result, Redacted);
        }
        foreach (var secret in _secrets)
        {
            if (result.Contains(secret, StringComparison.Ordinal))
            {
                result = result.Replace(secret, Redacted, StringComparison.Ordinal);
            }
        }
        return string.Equals(result, text, StringComparison.Ordinal) ? text : result;
    }
}
