using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace PushHub.Security;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-Api-Key: &lt;key&gt;</c> against <c>Auth:ApiKeys</c>,
/// comparing in constant time. In open mode (no keys) every caller is an anonymous admin for every task.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys,
    AuthMode mode)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (mode.IsOpen)
        {
            return keys.Anonymous.Authenticated;
        }
        var presented = ReadPresentedKey(Request.Headers.Authorization, Request.Headers[HeaderName], out var malformed);
        if (malformed is not null)
        {
            return Task.FromResult(AuthenticateResult.Fail(malformed));
        }
        if (presented is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        return keys.Find(presented) is { } principal
            ? principal.Authenticated
            : Task.FromResult(AuthenticateResult.Fail("The API key is not known."));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }

    /// <summary>True for a value shaped like a compact JWT, which goes to the token scheme instead.</summary>
    public static bool LooksLikeJwt(string value) =>
        value.StartsWith("eyJ", StringComparison.Ordinal) && value.Count(c => c == '.') == 2;

    /// <summary>The bearer value of the <c>Authorization</c> header, or null when there is none.</summary>
    public static string? ReadBearer(HttpRequest request) => ReadBearer(request.Headers.Authorization);

    /// <summary>The bearer value of these <c>Authorization</c> header values, or null unless there is exactly one bearer.</summary>
    public static string? ReadBearer(StringValues header)
    {
        if (header.Count != 1 || header[0] is not { } value || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        return value["Bearer ".Length..].Trim();
    }

    /// <summary>
    /// The key a request presents in its <c>Authorization</c> (<paramref name="authorization"/>) or <c>X-Api-Key</c>
    /// (<paramref name="apiKey"/>) header values; null with <paramref name="malformed"/> set when a header is there
    /// but unusable, null alone when there is none.
    /// </summary>
    internal static string? ReadPresentedKey(StringValues authorization, StringValues apiKey, out string? malformed)
    {
        malformed = null;
        if (authorization.Count > 0)
        {
            if (ReadBearer(authorization) is { Length: > 0 } bearer)
            {
                return bearer;
            }
            malformed = "The Authorization header must be 'Bearer <key>', given once.";
            return null;
        }
        if (apiKey.Count == 0)
        {
            return null;
        }
        if (apiKey.Count != 1 || string.IsNullOrEmpty(apiKey[0]))
        {
            malformed = "The X-Api-Key header must be given once, with the key.";
            return null;
        }
        return apiKey[0];
    }
}

/// <summary>The configured keys, kept as SHA-256 digests so that a lookup compares fixed-length values in constant time.</summary>
public sealed class ApiKeyStore
{
    /// <summary>What the caller in open mode may do: what an admin key for every task may.</summary>
    public static ApiKeyOptions AnonymousKey { get; } = new() { Name = "anonymous", Role = HubRoles.Admin, Tasks = [TaskPattern.All] };

    private readonly (byte[] Digest, HubPrincipal Principal)[] _keys;

    public ApiKeyStore(IOptions<AuthOptions> options) =>
        _keys = options.Value.ApiKeys.Select(key => (Digest(key.Key), new HubPrincipal(key, HubClaims.ApiKeyKind))).ToArray();

    /// <summary>The principal of every caller in open mode: an admin for every task.</summary>
    public HubPrincipal Anonymous { get; } = new(AnonymousKey, HubClaims.AnonymousKind);

    /// <summary>The principal of the key whose value is <paramref name="presented"/>, or null. Every key is compared, match or not.</summary>
    public HubPrincipal? Find(string presented)
    {
        var digest = Digest(presented);
        HubPrincipal? found = null;
        foreach (var (candidate, key) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(candidate, digest))
            {
                found = key;
            }
        }
        return found;
    }

    private static byte[] Digest(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}
