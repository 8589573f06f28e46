using PushHub.Http;
using PushHub.Security;

namespace PushHub.Sse;

/// <summary><c>GET /events/sse</c>: events as a Server-Sent Events stream.</summary>
public static class SseEndpoints
{
    /// <summary>The stream endpoint's name (its OpenAPI operation id; the connection handler tags its streams' metrics by it).</summary>
    public const string StreamName = "StreamEventsSse";

    /// <summary>Maps the SSE endpoint.</summary>
    public static RouteHandlerBuilder MapSse(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/events/sse", StreamAsync).WithTags("Events").WithName(StreamName)
            .RequireAuthorization(HubPolicies.Subscriber);

    /// <summary>Registers <see cref="SseManager"/> and its options.</summary>
    public static IServiceCollection AddSse(this IServiceCollection services)
    {
        services.AddValidatedOptions<SseOptions>(SseOptions.Section);
        services.AddSingleton<SseManager>();
        services.AddSingleton<SseStreams>();
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
