using OpenTelemetry.Metrics;

namespace PushHub.Observability;

/// <summary>Metrics wiring: the hub's meter and ASP.NET Core's own, scraped as Prometheus text at <c>/metrics</c>.</summary>
public static class ObservabilityExtensions
{
    public static IServiceCollection AddPushHubMetrics(this IServiceCollection services)
    {
        services.AddSingleton<PushHubMetrics>();
        services.AddSingleton<PublishRate>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(PushHubMetrics.MeterName)
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Http.Connections")
            // A scrape shows the figures of that moment, not a copy up to 300 ms old.
            .AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint("/metrics");
        return endpoints;
    }
}
