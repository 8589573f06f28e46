using System.Text;
using Microsoft.Extensions.Options;
using PushHub.Storage;

namespace PushHub.Security;

/// <summary>Checks <see cref="AuthOptions"/> at start, with messages that name the offending key.</summary>
public sealed class AuthOptionsValidator(IOptions<StorageOptions>? storage = null) : IValidateOptions<AuthOptions>
{
    /// <summary>Keys shorter than this are too easy to guess.</summary>
    public const int MinKeyLength = 16;

    /// <summary>An HMAC-SHA256 key needs at least 256 bits.</summary>
    public const int MinSigningKeyBytes = 32;

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        if (options.MaxTokenTtlSeconds is < 1 or > 31_536_000)
        {
            failures.Add("Auth:MaxTokenTtlSeconds must be from 1 to 31536000 (one year).");
        }
        if (!string.IsNullOrEmpty(options.TokenSigningKey) && Encoding.UTF8.GetByteCount(options.TokenSigningKey) < MinSigningKeyBytes)
        {
            failures.Add($"Auth:TokenSigningKey must be at least {MinSigningKeyBytes} characters, or empty to generate one.");
        }
        else if (string.IsNullOrEmpty(options.TokenSigningKey) && storage?.Value.Provider == StorageProvider.Redis)
        {
            // A generated key lives beside one node's files: tokens one node signs would fail on the others.
            failures.Add($"Auth:TokenSigningKey is required when Storage:Provider is Redis (cluster mode): every node must sign " +
                $"subscribe tokens with the same key of at least {MinSigningKeyBytes} characters.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            var at = $"Auth:ApiKeys:{i}";
            if (string.IsNullOrWhiteSpace(key.Name))
            {
                failures.Add($"{at}:Name must name who holds the key.");
            }
            else if (!names.Add(key.Name))
            {
                failures.Add($"{at}:Name '{key.Name}' is used by another key; names must be unique.");
            }
            // The key's value never goes into a message: only where it is.
            if (key.Key is null || key.Key.Length < MinKeyLength || key.Key.Any(c => c <= ' ' || c > '~'))
            {
                failures.Add($"{at}:Key must be at least {MinKeyLength} printable ASCII characters without spaces.");
            }
            else if (ApiKeyAuthenticationHandler.LooksLikeJwt(key.Key))
            {
                failures.Add($"{at}:Key must not have the shape of a JWT (three dot-separated parts starting with 'eyJ').");
            }
            else if (!keys.Add(key.Key))
            {
                failures.Add($"{at}:Key is the same as another key's; every key must be unique.");
            }
            if (!HubRoles.IsKnown(key.Role))
            {
                failures.Add($"{at}:Role must be one of {string.Join(", ", HubRoles.All)}.");
            }
            for (var t = 0; t < (key.Tasks?.Count ?? 0); t++)
            {
                if (!TaskPattern.IsValid(key.Tasks![t]))
                {
                    failures.Add($"{at}:Tasks:{t} {TaskPattern.Rule}.");
                }
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
