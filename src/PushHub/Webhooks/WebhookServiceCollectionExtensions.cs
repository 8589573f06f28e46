using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using PushHub.Observability;
using PushHub.Storage;
using PushHub.Webhooks.Formats;

namespace PushHub.Webhooks;

/// <summary>Registers webhook delivery: options, the dispatcher, its HTTP client and readiness check (the outbox is the store's).</summary>
public static class WebhookServiceCollectionExtensions
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddValidatedOptions<WebhookOptions>(WebhookOptions.Section);
        services.AddSingleton<WebhookAccess>();
        services.AddSingleton<WebhookFallbacks>();
        services.AddSingleton<WebhookMetrics>();
        services.AddSingleton<WebhookSender>();
        services.AddNotificationFormats();
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());

        services.AddHttpClient(WebhookSender.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var options = sp.GetRequiredService<IOptions<WebhookOptions>>().Value;
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    UseCookies = false,
                    // A proxy would be dialled instead of the target, and the target's address would go unchecked.
                    UseProxy = false,
                    MaxConnectionsPerServer = options.MaxConcurrentPerEndpoint,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                    ConnectCallback = (context, cancellationToken) => SsrfGuard.ConnectAsync(context, options.AllowPrivateNetworks, cancellationToken),
                };
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // One log line per delivery is the dispatcher's job; the factory's would print every URL at 2,000/s.
            .RemoveAllLoggers();

        services.AddHealthChecks().AddCheck<DispatcherRunningCheck>("webhook-dispatcher", tags: [HealthEndpoints.ReadyTag]);
        return services;
    }

    /// <summary>Ready only while the dispatcher's loop runs.</summary>
    private sealed class DispatcherRunningCheck(WebhookDispatcher dispatcher) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(dispatcher.IsRunning
                ? HealthCheckResult.Healthy($"running; {dispatcher.InFlight} deliveries in flight")
                : HealthCheckResult.Unhealthy("the webhook dispatcher is not running"));
    }
}
