using System.Text.Encodings.Web;
using System.Text.Json;
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

    /// <summary>Binds <typeparamref name="TOptions"/> from <paramref name="section"/>, checked when the hub starts.</summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class =>
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
}
