using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;

namespace PushHub.Security;

/// <summary>
/// The principal of one API key (or of the anonymous caller in open mode), built once when the keys are loaded and
/// shared by every request that presents the key. Its claims are the same as before (<c>sub</c>, <c>pushhub_kind</c>,
/// one <c>role</c> per implied role, one <c>tasks</c> per pattern) and are never changed; it also keeps the roles and
/// patterns as arrays, so that the per-request checks (<see cref="TaskAccess"/>, <c>IsInRole</c>) read them without
/// enumerating claims. Building the claims, identity, principal and ticket on every request cost about 1.5 kB per
/// publish, and the LINQ over claims in <see cref="TaskAccess.CanPublish"/> about 400 B per event of a batch (#15).
/// </summary>
public sealed class HubPrincipal : ClaimsPrincipal
{
    private readonly string[] _roles;

    public HubPrincipal(ApiKeyOptions key, string kind)
        : base(CreateIdentity(key, kind))
    {
        _roles = [.. HubRoles.Implied(key.Role)];
        TaskPatterns = [.. key.EffectiveTasks];
        Authenticated = Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(this, ApiKeyAuthenticationHandler.SchemeName)));
        // What PolicyEvaluator answers for an authenticated HttpContext.User when a policy names no scheme.
        AuthenticatedByContext = Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(this, "context.User")));
    }

    /// <summary>The key's task patterns, as its <c>tasks</c> claims hold them.</summary>
    public IReadOnlyList<string> TaskPatterns { get; }

    /// <summary>The successful authentication of this key, answered as it is to every request that presents it.</summary>
    public Task<AuthenticateResult> Authenticated { get; }

    /// <summary>The same, as <see cref="HubPolicyEvaluator"/> answers it for a policy that names no scheme.</summary>
    public Task<AuthenticateResult> AuthenticatedByContext { get; }

    /// <summary>As <see cref="ClaimsPrincipal.IsInRole"/> (an ordinal match of a <c>role</c> claim), from the array.</summary>
    public override bool IsInRole(string role) => Array.IndexOf(_roles, role) >= 0;

    private static ClaimsIdentity CreateIdentity(ApiKeyOptions key, string kind)
    {
        var claims = new List<Claim> { new(HubClaims.Name, key.Name), new(HubClaims.Kind, kind) };
        claims.AddRange(HubRoles.Implied(key.Role).Select(role => new Claim(HubClaims.Role, role)));
        claims.AddRange(key.EffectiveTasks.Select(task => new Claim(HubClaims.Task, task)));
        return new ClaimsIdentity(claims, ApiKeyAuthenticationHandler.SchemeName, HubClaims.Name, HubClaims.Role);
    }
}
