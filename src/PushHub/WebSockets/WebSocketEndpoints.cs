using Microsoft.AspNetCore.SignalR;
using MessagePack;
using MessagePack.Resolvers;
using PushHub.Security;

namespace PushHub.WebSockets;

/// <summary>Wiring for the raw WebSocket endpoint and the SignalR hub.</summary>
public static class WebSocketEndpoints
{
    /// <summary>
    /// Maps <c>/events/ws</c> on its own small pipeline that enables WebSockets (as SignalR does for its hubs), and
    /// the SignalR hub at <c>/hubs/events</c> with stateful reconnect allowed. Both need the subscriber policy.
    /// </summary>
    public static IEndpointConventionBuilder MapWebSockets(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHub<EventsHub>("/hubs/events", options => options.AllowStatefulReconnects = true)
            .RequireAuthorization(HubPolicies.Subscriber);
        var server = endpoints.ServiceProvider.GetRequiredService<WebSocketServer>();
        var keepAlive = endpoints.ServiceProvider.GetRequiredService<WebSocketKeepAlive>();
        var pipeline = endpoints.CreateApplicationBuilder();
        pipeline.Use(keepAlive.InvokeAsync);
        pipeline.UseWebSockets();
        pipeline.Run(server.HandleAsync);
        return endpoints.Map("/events/ws", pipeline.Build()).WithTags("Events").WithName("StreamEventsWebSocket")
            .RequireAuthorization(HubPolicies.Subscriber);
    }

    /// <summary>Registers <see cref="WebSocketServer"/>, its options, and SignalR with the JSON and MessagePack protocols.</summary>
    public static IServiceCollection AddPushWebSockets(this IServiceCollection services)
    {
        services.AddValidatedOptions<PushWebSocketOptions>(PushWebSocketOptions.Section);
        services.AddSingleton<WebSocketServer>();
        services.AddSingleton<WebSocketKeepAlive>();
        services.AddSingleton<SignalRSubscriptions>();
        services.AddSignalR()
            .AddJsonProtocol()
            .AddMessagePackProtocol(options => options.SerializerOptions = MessagePackSerializerOptions.Standard
                .WithResolver(CompositeResolver.Create([JsonElementFormatter.Instance], [ContractlessStandardResolver.Instance]))
                .WithSecurity(MessagePackSecurity.UntrustedData));
        services.AddSingleton<EventsHubLifetimeManager>();
        services.AddSingleton<HubLifetimeManager<EventsHub>>(sp => sp.GetRequiredService<EventsHubLifetimeManager>());
        UnknownMessageTolerantProtocol.WrapRegisteredProtocols(services);
        return services;
    }
}
