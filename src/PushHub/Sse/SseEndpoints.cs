using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using PushHub.Http;
using PushHub.Security;

namespace PushHub.Sse;

/// <summary><c>GET /events/sse</c>: events as a Server-Sent Events stream.</summary>
public static class SseEndpoints
{
    /// <summary>Maps the SSE endpoint.</summary>
    public static RouteHandlerBuilder MapSse(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/events/sse", StreamAsync).WithTags("Events").WithName("StreamEventsSse")
            .RequireAuthorization(HubPolicies.Subscriber);

    /// <summary>Registers <see cref="SseManager"/> and its options.</summary>
    public static IServiceCollection AddSse(this IServiceCollection services)
    {
        services.AddValidatedOptions<SseOptions>(SseOptions.Section);
        services.AddSingleton<SseManager>();
        services.AddSingleton<SseStreams>();
        services.AddSingleton<SseConnectionHandler>();
        // Every endpoint Kestrel binds (from --urls, Kestrel:Endpoints or Listen) gets the connection handler first.
        // ConfigureEndpointDefaults replaces an earlier defaults action: code that embeds the hub and sets its own
        // turns the handler off (Sse:ConnectionHandler=false) or calls SseConnectionHandler from its action.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<SseOptions>>((kestrel, sse) =>
        {
            if (sse.Value.ConnectionHandler)
            {
                kestrel.ConfigureEndpointDefaults(listen =>
                {
                    // Resolved at the first connection: Kestrel may apply these defaults while its own options,
                    // which the handler reads, are still being built.
                    var services = listen.ApplicationServices;
                    SseConnectionHandler? handler = null;
                    // Built once the endpoint is configured: one without HTTP/1.1 never sees the handler.
                    listen.Use(next => (listen.Protocols & HttpProtocols.Http1) == 0
                        ? next
                        : connection => (handler ??= services.GetRequiredService<SseConnectionHandler>()).OnConnectionAsync(connection, next));
                });
            }
        });
        return services;
    }

    private static async Task<IResult> StreamAsync(HttpContext context, SseManager sse, TaskAccess access)
    {
        if (SubscribeRequest.Read(context.Request, out var errors) is not { } request)
        {
            return Problems.Validation(errors);
        }
        if (access.AuthorizeRead(context.User, request.Filter.Tasks) is { } forbidden)
        {
            return forbidden;
        }
        await sse.StreamAsync(context, request.Filter, request.After);
        return Results.Empty;
    }
}
