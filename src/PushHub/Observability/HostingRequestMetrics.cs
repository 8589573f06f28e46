using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace PushHub.Observability;

/// <summary>
/// ASP.NET Core's own request instruments, <c>http.server.request.duration</c> and <c>http.server.active_requests</c>
/// (meter <c>Microsoft.AspNetCore.Hosting</c>), for the requests the hub answers outside the pipeline
/// (<see cref="Http.HubConnectionHandler"/>): they land in the same series as the pipeline's, with the same tags, so
/// that a dashboard's request rate and latency for <c>GET /events</c> do not depend on which path served a request.
/// </summary>
/// <remarks>
/// The instruments are the host's own objects, found among those its <see cref="IMeterFactory"/> made, not copies
/// declared here: a copy would have to repeat their unit, description and bucket advice exactly to share their series.
/// When the host has none (ASP.NET Core's metrics are off) nothing is recorded.
/// </remarks>
public sealed class HostingRequestMetrics(IMeterFactory meters, IServiceProvider services)
{
    private const string MeterName = "Microsoft.AspNetCore.Hosting";
    private static readonly object s_ok = StatusCodes.Status200OK;
    private static readonly object s_clientClosed = StatusCodes.Status499ClientClosedRequest;

    private Instruments? _instruments;

    /// <summary>A request is being served: counted in <c>http.server.active_requests</c> until <see cref="End"/> or <see cref="Leave"/>.</summary>
    public void Begin()
    {
        if (Find().Active is { Enabled: true } active)
        {
            active.Add(1, StartTags());
        }
    }

    /// <summary>
    /// A request begun with <see cref="Begin"/> for the endpoint named <paramref name="endpoint"/> was answered with
    /// <paramref name="status"/> after <paramref name="elapsed"/>; its <c>http.route</c> is that endpoint's, as the
    /// hosting layer reads it.
    /// </summary>
    public void End(string endpoint, int status, TimeSpan elapsed)
    {
        var (duration, active, routes) = Find();
        // The duration first: a reader that sees the request no longer active sees it counted.
        if (duration is { Enabled: true })
        {
            var tags = StartTags();
            tags.Add("network.protocol.version", "1.1");
            if (routes.TryGetValue(endpoint, out var route))
            {
                tags.Add("http.route", route);
            }
            tags.Add("http.response.status_code", status switch
            {
                StatusCodes.Status200OK => s_ok,
                StatusCodes.Status499ClientClosedRequest => s_clientClosed,
                _ => status,
            });
            duration.Record(elapsed.TotalSeconds, tags);
        }
        if (active is { Enabled: true })
        {
            active.Add(-1, StartTags());
        }
    }

    /// <summary>A request begun with <see cref="Begin"/> goes to the pipeline, which counts it itself.</summary>
    public void Leave()
    {
        if (Find().Active is { Enabled: true } active)
        {
            active.Add(-1, StartTags());
        }
    }

    // The tags the hosting layer gives both instruments (a plaintext GET is all the handler serves).
    private static TagList StartTags() => new() { { "http.request.method", "GET" }, { "url.scheme", "http" } };

    // Looked for once, at the first request the handler serves: the hosting layer made its instruments, and routing
    // its endpoints, before Kestrel took a connection. Two requests may both look at once; either's answer is the same.
    private Instruments Find()
    {
        if (_instruments is { } found)
        {
            return found;
        }
        Histogram<double>? duration = null;
        UpDownCounter<long>? active = null;
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name != MeterName || !ReferenceEquals(instrument.Meter.Scope, meters))
                {
                    return;
                }
                switch (instrument)
                {
                    case Histogram<double> { Name: "http.server.request.duration" } histogram:
                        duration = histogram;
                        break;
                    case UpDownCounter<long> { Name: "http.server.active_requests" } counter:
                        active = counter;
                        break;
                }
            };
            listener.Start(); // tells of every instrument already made
        }
        // The route as the hosting layer tags a request with it: the matched endpoint's diagnostics route.
        var routes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var endpoint in services.GetService<EndpointDataSource>()?.Endpoints ?? [])
        {
            if (endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName is { } name
                && endpoint.Metadata.GetMetadata<IRouteDiagnosticsMetadata>()?.Route is { } route)
            {
                routes.TryAdd(name, route);
            }
        }
        return _instruments = new Instruments(duration, active, routes);
    }

    private sealed record Instruments(Histogram<double>? Duration, UpDownCounter<long>? Active, IReadOnlyDictionary<string, string> Routes);
}
