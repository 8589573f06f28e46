using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace PushHub.Tests.Infrastructure;

/// <summary>
/// What one hub records in ASP.NET Core's request instruments (<c>http.server.request.duration</c>,
/// <c>http.server.active_requests</c>), seen by a listener on that hub's own meters: the tests of a process run many
/// hubs at once, and a <c>/metrics</c> scrape shows every host's requests under the same names.
/// </summary>
public sealed class RequestMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<string> _durations = new();
    private long _active;

    public RequestMetrics(IMeterFactory meters)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Microsoft.AspNetCore.Hosting" && ReferenceEquals(instrument.Meter.Scope, meters)
                && instrument.Name is "http.server.request.duration" or "http.server.active_requests")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, _, tags, _) => _durations.Enqueue(Describe(tags)));
        _listener.SetMeasurementEventCallback<long>((_, change, _, _) => Interlocked.Add(ref _active, change));
        _listener.Start();
    }

    /// <summary>Each request's duration tags, as <c>name=value</c> pairs in name order, in the order they were recorded.</summary>
    public IReadOnlyList<string> Durations => [.. _durations];

    /// <summary>Requests begun and not ended since this listener started.</summary>
    public long Active => Interlocked.Read(ref _active);

    public void Dispose() => _listener.Dispose();

    private static string Describe(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var pairs = new List<string>(tags.Length);
        foreach (var (name, value) in tags)
        {
            pairs.Add($"{name}={value}");
        }
        pairs.Sort(StringComparer.Ordinal);
        return string.Join(",", pairs);
    }
}
