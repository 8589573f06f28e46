using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features.Authentication;

namespace PushHub.Security;

/// <summary>
/// Authentication in open mode (no API keys): a request that the hub's scheme would send to the API key handler
/// gets the anonymous admin principal directly, as that handler would answer it, without ASP.NET Core's handler
/// resolution, policy-scheme forwarding and claims-transformation frames (#15: about 2 kB per publish). A request
/// carrying a subscribe token still goes through <see cref="AuthenticationMiddleware"/>. With keys configured this
/// middleware is not used at all (<see cref="SecurityExtensions.UsePushHubSecurity"/>).
/// </summary>
internal sealed class OpenModeAuthentication(RequestDelegate next, IAuthenticationSchemeProvider schemes, ApiKeyStore keys)
{
    private readonly AuthenticationMiddleware _full = new(next, schemes);

    public Task InvokeAsync(HttpContext context)
    {
        if (SecurityExtensions.SelectScheme(context) != ApiKeyAuthenticationHandler.SchemeName)
        {
            return _full.Invoke(context);
        }
        var request = context.Request;
        context.Features.Set<IAuthenticationFeature>(new AuthenticationFeature { OriginalPath = request.Path, OriginalPathBase = request.PathBase });
        var principal = keys.Anonymous;
        context.User = principal;
        var features = new AuthenticatedFeatures(principal.Authenticated.Result);
        context.Features.Set<IHttpAuthenticationFeature>(features);
        context.Features.Set<IAuthenticateResultFeature>(features);
        return next(context);
    }

    /// <summary>What <see cref="AuthenticationMiddleware"/> sets after a successful authentication (its own type is internal).</summary>
    private sealed class AuthenticatedFeatures(AuthenticateResult result) : IAuthenticateResultFeature, IHttpAuthenticationFeature
    {
        private ClaimsPrincipal? _user = result.Principal;

        public AuthenticateResult? AuthenticateResult
        {
            get => result;
            set
            {
                result = value!;
                _user = value?.Principal;
            }
        }

        public ClaimsPrincipal? User
        {
            get => _user;
            set
            {
                _user = value;
                result = null!;
            }
        }
    }
}
