using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace PushHub.Security;

/// <summary>Wires the security layer: <c>services.AddPushHubSecurity()</c>, <c>app.UsePushHubSecurity()</c>, <c>app.MapTokens()</c>.</summary>
public static class SecurityExtensions
{
    /// <summary>The scheme endpoints authenticate with: it forwards to the API key or the subscribe-token handler.</summary>
    public const string Scheme = "PushHub";

    /// <summary>Authentication (API keys and subscribe tokens), role policies, <see cref="TaskAccess"/>, rate limits, CORS, the open-mode check.</summary>
    public static IServiceCollection AddPushHubSecurity(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddValidatedOptions<RateLimitingOptions>(RateLimitingOptions.Section);
        services.AddValidatedOptions<HubCorsOptions>(HubCorsOptions.Section);

        services.AddSingleton<AuthMode>();
        services.AddSingleton<TaskAccess>();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<TokenSigningKey>();
        services.AddSingleton<SubscribeTokens>();
        services.AddSingleton<IConfigureOptions<JwtBearerOptions>, SubscribeTokenBearerSetup>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuthorizationProblemHandler>();
        // One for the process (the default is transient, built per request): it holds nothing per request, and the
        // only authorization handler, the requirements' own pass-through, is stateless.
        services.AddSingleton<Microsoft.AspNetCore.Authorization.Policy.IPolicyEvaluator, HubPolicyEvaluator>();
        services.AddHostedService<OpenModeGuard>();
        services.AddSingleton<Serilog.Core.ILogEventEnricher, SecretRedactingEnricher>();

        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "API key or subscribe token", options => options.ForwardDefaultSelector = SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddJwtBearer();
        services.AddAuthorizationBuilder()
            .AddPolicy(HubPolicies.Subscriber, policy => policy.RequireRole(HubRoles.Subscriber))
            .AddPolicy(HubPolicies.Publisher, policy => policy.RequireRole(HubRoles.Publisher))
            .AddPolicy(HubPolicies.Admin, policy => policy.RequireRole(HubRoles.Admin));

        services.AddRateLimiter(_ => { }).AddSingleton<PublishRateLimitPolicy>();
        services.AddOptions<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>()
            .Configure<PublishRateLimitPolicy>((options, policy) => options.AddPolicy(PublishRateLimitPolicy.Name, policy));

        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<HubCorsOptions>>((options, hub) =>
            options.AddDefaultPolicy(policy => policy
                .WithOrigins([.. hub.Value.AllowedOrigins])
                .AllowAnyHeader()
                .AllowAnyMethod()
                .WithExposedHeaders("Retry-After")));
        return services;
    }

    /// <summary>CORS, authentication, authorization and rate limiting, in that order.</summary>
    /// <remarks>
    /// In open mode authentication is <see cref="OpenModeAuthentication"/>, which answers the one principal there is
    /// without ASP.NET Core's per-request handler machinery. The rate limiter only when it can limit anyone: <see cref="PublishRateLimitPolicy"/> counts API keys, so in open
    /// mode (no keys) or with <c>RateLimiting:PermitsPerSecond</c> 0 it hands every request a no-op lease, and the
    /// middleware still cost an async frame, a lease and a partition lookup per request (#15).
    /// </remarks>
    public static IApplicationBuilder UsePushHubSecurity(this IApplicationBuilder app)
    {
        var services = app.ApplicationServices;
        var open = services.GetRequiredService<AuthMode>().IsOpen;
        app.UseCors();
        if (open)
        {
            // In place of UseAuthentication, which it runs for subscribe tokens. The key below is the one UseAuthentication
            // sets: without it WebApplication would add a second authentication middleware in front of the pipeline.
            app.Properties["__AuthenticationMiddlewareSet"] = true;
            app.UseMiddleware<OpenModeAuthentication>();
        }
        else
        {
            app.UseAuthentication();
        }
        app.UseAuthorization();
        if (!open && services.GetRequiredService<IOptions<RateLimitingOptions>>().Value.PermitsPerSecond > 0)
        {
            app.UseRateLimiter();
        }
        return app;
    }

    /// <summary>A subscribe token (<c>?access_token=</c>, or a JWT-shaped bearer value) goes to JwtBearer, anything else to API keys.</summary>
    internal static string SelectScheme(HttpContext context) => SelectScheme(context.Request.Query, context.Request.Headers.Authorization);

    /// <inheritdoc cref="SelectScheme(HttpContext)"/>
    internal static string SelectScheme(IQueryCollection query, StringValues authorization) =>
        query.ContainsKey(SubscribeTokens.QueryName)
        || (ApiKeyAuthenticationHandler.ReadBearer(authorization) is { } bearer && ApiKeyAuthenticationHandler.LooksLikeJwt(bearer))
            ? JwtBearerDefaults.AuthenticationScheme
            : ApiKeyAuthenticationHandler.SchemeName;
}
