using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PushHub.Security;

/// <summary>
/// Issues subscribe tokens: short-lived HMAC-signed JWTs for browsers, which cannot send a header from EventSource.
/// A token carries the <c>subscriber</c> role and the task patterns it was issued for, and is accepted as
/// <c>?access_token=</c> (or <c>Authorization: Bearer</c>).
/// </summary>
public sealed class SubscribeTokens(TokenSigningKey signingKey, TimeProvider time)
{
    public const string Issuer = "pushhub";
    public const string Audience = "pushhub-subscribe";
    public const string QueryName = "access_token";

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>A token for <paramref name="tasks"/> issued by <paramref name="issuer"/>, valid for <paramref name="ttl"/>.</summary>
    public (string Token, DateTimeOffset ExpiresAt) Issue(ClaimsPrincipal issuer, IReadOnlyList<string> tasks, TimeSpan ttl)
    {
        var now = time.GetUtcNow();
        var expires = now + ttl;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(signingKey.Key, SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object>
            {
                [HubClaims.Name] = issuer.Identity?.Name ?? "anonymous",
                [HubClaims.Role] = HubRoles.Subscriber,
                [HubClaims.Task] = tasks.ToArray(),
                [HubClaims.Kind] = HubClaims.TokenKind,
                ["jti"] = Guid.NewGuid().ToString("n"),
            },
        });
        return (token, expires);
    }

    /// <summary>How JwtBearer validates the tokens: this hub's key, issuer and audience, expiry on the hub's clock.</summary>
    public TokenValidationParameters ValidationParameters() => new()
    {
        ValidIssuer = Issuer,
        ValidAudience = Audience,
        IssuerSigningKey = signingKey.Key,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        NameClaimType = HubClaims.Name,
        RoleClaimType = HubClaims.Role,
        RequireExpirationTime = true,
        // The hub's TimeProvider decides expiry (tests drive it); IdentityModel would use the wall clock.
        LifetimeValidator = (notBefore, expires, _, _) =>
            expires is { } end && time.GetUtcNow().UtcDateTime < end
            && (notBefore is not { } start || start <= time.GetUtcNow().UtcDateTime.AddMinutes(1)),
    };
}

/// <summary>Points JwtBearer at <see cref="SubscribeTokens"/> and reads the token from <c>?access_token=</c>.</summary>
public sealed class SubscribeTokenBearerSetup(SubscribeTokens tokens) : IConfigureNamedOptions<JwtBearerOptions>
{
    public void Configure(string? name, JwtBearerOptions options)
    {
        if (name != JwtBearerDefaults.AuthenticationScheme)
        {
            return;
        }
        options.MapInboundClaims = false;
        options.TokenValidationParameters = tokens.ValidationParameters();
        options.Events = new JwtBearerEvents
        {
            OnMessageReceived = context =>
            {
                if (context.Request.Query.TryGetValue(SubscribeTokens.QueryName, out var values) && values.Count == 1)
                {
                    context.Token = values[0];
                }
                return Task.CompletedTask;
            },
        };
    }

    public void Configure(JwtBearerOptions options) => Configure(Options.DefaultName, options);
}
