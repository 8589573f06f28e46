using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.IdentityModel.Tokens;

namespace PushHub.Security;

/// <summary>Answers failed authorization with problem+json: 401 for missing or bad credentials, 403 for too small a role.</summary>
public sealed class AuthorizationProblemHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    // Not async on success: the request's own task passes through, so a stream held open for hours keeps no state
    // machine of this handler while it waits (issue #15).
    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult) =>
        authorizeResult.Challenged || authorizeResult.Forbidden
            ? RefuseAsync(context, policy, authorizeResult)
            : _default.HandleAsync(next, context, policy, authorizeResult);

    private static async Task RefuseAsync(HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged)
        {
            var result = context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult ?? await context.AuthenticateAsync();
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await AccessProblems.Unauthorized(Describe(result?.Failure)).ExecuteAsync(context);
            return;
        }
        if (authorizeResult.Forbidden)
        {
            var needed = policy.Requirements.OfType<RolesAuthorizationRequirement>().SelectMany(r => r.AllowedRoles).FirstOrDefault() ?? "a higher";
            await AccessProblems.Forbidden($"This needs the '{needed}' role (admin includes publisher, publisher includes subscriber).").ExecuteAsync(context);
        }
    }

    /// <summary>Why authentication failed, in words that never repeat the credential.</summary>
    private static string Describe(Exception? failure) => (failure is AggregateException { InnerExceptions.Count: > 0 } many ? many.InnerExceptions[0] : failure) switch
    {
        null => "No credentials were sent. " + AccessProblems.CredentialsHint,
        SecurityTokenExpiredException or SecurityTokenInvalidLifetimeException => "The subscribe token has expired; ask for a new one with POST /tokens.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The subscribe token's signature is not valid for this hub.",
        SecurityTokenException or ArgumentException => "The subscribe token is not valid; ask for a new one with POST /tokens.",
        // Our own handler's messages (AuthenticateResult.Fail(string)) name the problem, never the key.
        AuthenticationFailureException own => own.Message + " " + AccessProblems.CredentialsHint,
        _ => "The credentials are not valid. " + AccessProblems.CredentialsHint,
    };
}
