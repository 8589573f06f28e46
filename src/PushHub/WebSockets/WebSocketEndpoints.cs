namespace PushHub.WebSockets;

/// <summary>Wiring for the raw WebSocket endpoint.</summary>
public static class WebSocketEndpoints
{
    /// <summary>Maps <c>/events/ws</c> on its own small pipeline that enables WebSockets, as SignalR does for its hubs.</summary>
    public static IEndpointConventionBuilder MapWebSockets(this IEndpointRouteBuilder endpoints)
    {
        var server = endpoints.ServiceProvider.GetRequiredService<WebSocketServer>();
        var pipeline = endpoints.CreateApplicationBuilder();
        pipeline.UseWebSockets();
        pipeline.Run(server.HandleAsync);
        return endpoints.Map("/events/ws", pipeline.Build()).WithTags("Events").WithName("StreamEventsWebSocket");
    }

    /// <summary>Registers <see cref="WebSocketServer"/> and its options.</summary>
    public static IServiceCollection AddPushWebSockets(this IServiceCollection services)
    {
        services.AddValidatedOptions<PushWebSocketOptions>(PushWebSocketOptions.Section);
        services.AddSingleton<WebSocketServer>();
        return services;
    }
}
