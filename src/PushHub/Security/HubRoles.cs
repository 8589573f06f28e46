using System.Security.Claims;

namespace PushHub.Security;

/// <summary>The roles, each including the ones below it: <c>admin</c> ⊇ <c>publisher</c> ⊇ <c>subscriber</c>.</summary>
public static class HubRoles
{
    public const string Admin = "admin";
    public const string Publisher = "publisher";
    public const string Subscriber = "subscriber";

    public static IReadOnlyList<string> All { get; } = [Admin, Publisher, Subscriber];

    public static bool IsKnown(string? role) => role is Admin or Publisher or Subscriber;

    /// <summary>The role itself and every role it includes, so that <c>IsInRole</c> answers the hierarchy.</summary>
    public static IReadOnlyList<string> Implied(string role) => role switch
    {
        Admin => [Admin, Publisher, Subscriber],
        Publisher => [Publisher, Subscriber],
        Subscriber => [Subscriber],
        _ => [],
    };
}

/// <summary>Claim types the hub puts on its principals (the same for API keys and subscribe tokens).</summary>
public static class HubClaims
{
    /// <summary>The key's name, or the name of the key that issued a token.</summary>
    public const string Name = "sub";

    public const string Role = "role";

    /// <summary>One claim per task pattern the caller may use.</summary>
    public const string Task = "tasks";

    /// <summary>How the caller authenticated: <see cref="ApiKeyKind"/>, <see cref="TokenKind"/> or <see cref="AnonymousKind"/>.</summary>
    public const string Kind = "pushhub_kind";

    public const string ApiKeyKind = "api_key";
    public const string TokenKind = "token";
    public const string AnonymousKind = "anonymous";

    /// <summary>The task patterns of <paramref name="user"/>.</summary>
    public static IEnumerable<string> Tasks(ClaimsPrincipal user) =>
        user is HubPrincipal principal ? principal.TaskPatterns : user.FindAll(Task).Select(claim => claim.Value);

    /// <summary>True when one of the task patterns of <paramref name="user"/> satisfies <paramref name="test"/>.</summary>
    /// <remarks>A loop over an API key's pattern array rather than LINQ over claims: it runs for every event published.</remarks>
    public static bool AnyTask<TState>(ClaimsPrincipal user, TState state, Func<string, TState, bool> test)
    {
        if (user is HubPrincipal principal)
        {
            var patterns = principal.TaskPatterns;
            for (var i = 0; i < patterns.Count; i++)
            {
                if (test(patterns[i], state))
                {
                    return true;
                }
            }
            return false;
        }
        foreach (var claim in user.FindAll(Task))
        {
            if (test(claim.Value, state))
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>
/// Authorization policy names. Apply one to an endpoint with <c>.RequireAuthorization(HubPolicies.Subscriber)</c>;
/// per-task checks are then <see cref="TaskAccess"/>'s.
/// </summary>
public static class HubPolicies
{
    public const string Admin = "pushhub:admin";
    public const string Publisher = "pushhub:publisher";
    public const string Subscriber = "pushhub:subscriber";
}
