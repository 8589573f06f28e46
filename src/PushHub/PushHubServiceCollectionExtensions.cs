using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PushHub.Http;
using PushHub.Hub;
using PushHub.Observability;
using PushHub.Security;
using PushHub.Sse;
using PushHub.Storage;
using PushHub.Tasks;
using PushHub.WebSockets;

namespace PushHub;

/// <summary>Registers the hub's services.</summary>
public static class PushHubServiceCollectionExtensions
{
    /// <summary>The store, the hub, its feed and log follower, background services, options (validated at start) and JSON settings.</summary>
    public static IServiceCollection AddPushHub(this IServiceCollection services)
    {
        services.AddValidatedOptions<LimitsOptions>(LimitsOptions.Section);
        services.AddValidatedOptions<HubOptions>(HubOptions.Section);
        services.AddValidatedOptions<TasksOptions>(TasksOptions.Section);

        services.TryAddSingleton(TimeProvider.System);
        // First of the exception handlers, which run in the order they were added, whatever the embedding code adds
        // before this: the request id on every failure's answer.
        if (!services.Any(service => service.ImplementationType == typeof(RequestIdOnExceptions)))
        {
            services.Insert(0, ServiceDescriptor.Singleton<IExceptionHandler, RequestIdOnExceptions>());
        }
        services.AddPushHubStorage();
        services.AddSingleton<IEventFeed, EventFeed>();
        // Hosted services start before the server: the feed has its head before any request joins it.
        services.AddHostedService<LogFollower>();
        services.AddSingleton<EventValidator>();
        services.AddSingleton<EventHub>();
        services.AddSingleton<ConnectionStats>();
        services.AddSingleton<SubscriberCounters>();
        services.AddSingleton<StallWatchdog>();
        services.AddSse();
        services.AddPushWebSockets();
        services.AddHubConnectionHandler();
        services.AddSingleton<StuckTaskMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<StuckTaskMonitor>());

        services.AddPushHubSecurity();
        services.AddProblemDetails();
        services.AddPushHubHealthChecks();
        services.AddPushHubMetrics();
        services.AddOpenApi();
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
            options.SerializerOptions.Converters.Add(new UtcTimestampConverter());
        });
        return services;
    }

    /// <summary>
    /// Puts <see cref="HubConnectionHandler"/> in front of Kestrel's HTTP handling on every endpoint Kestrel binds
    /// (from --urls, Kestrel:Endpoints or Listen) that speaks HTTP/1.1, when <c>Sse:ConnectionHandler</c> or
    /// <c>Hub:PollConnectionHandler</c> is on.
    /// </summary>
    /// <remarks>ConfigureEndpointDefaults replaces an earlier defaults action: code that embeds the hub and sets its
    /// own turns the handler off (both switches false) or calls <see cref="HubConnectionHandler"/> from its action.</remarks>
    private static IServiceCollection AddHubConnectionHandler(this IServiceCollection services)
    {
        services.AddSingleton<HubConnectionHandler>();
        services.AddSingleton<HostingRequestMetrics>();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<SseOptions>, IOptions<HubOptions>>((kestrel, sse, hub) =>
        {
            if (!sse.Value.ConnectionHandler && !hub.Value.PollConnectionHandler)
            {
                return;
            }
            kestrel.ConfigureEndpointDefaults(listen =>
            {
                // Resolved at the first connection: Kestrel may apply these defaults while its own options, which the
                // handler reads, are still being built.
                var provider = listen.ApplicationServices;
                HubConnectionHandler? handler = null;
                // Built once the endpoint is configured: one without HTTP/1.1 never sees the handler.
                listen.Use(next => (listen.Protocols & HttpProtocols.Http1) == 0
                    ? next
                    : connection => (handler ??= provider.GetRequiredService<HubConnectionHandler>()).OnConnectionAsync(connection, next));
            });
        });
        return services;
    }

    /// <summary>Binds <typeparamref name="TOptions"/> from <paramref name="section"/>, checked when the hub starts.</summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class =>
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
}
