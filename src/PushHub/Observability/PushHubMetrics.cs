using System.Diagnostics.Metrics;
using PushHub.Hub;
using PushHub.Storage;

namespace PushHub.Observability;

/// <summary>
/// The hub's own instruments (meter <c>PushHub</c>), exported in Prometheus text at <c>/metrics</c>.
/// Transports and the webhook dispatcher add theirs to the same meter.
/// </summary>
public sealed class PushHubMetrics
{
    public const string MeterName = "PushHub";

    /// <summary>The webhook dispatcher's attempt counter (Webhooks/WebhookMetrics.cs records it), declared here too so
    /// that each known outcome is a series at 0 before the first delivery: rates and alerts work from the start.</summary>
    public const string WebhookDeliveries = "pushhub.webhook.deliveries";

    /// <summary>The outcomes <see cref="WebhookDeliveries"/> is labelled with.</summary>
    public static readonly string[] WebhookOutcomes = ["succeeded", "failed", "deferred", "gone", "dead_letter"];

    /// <summary>The dispatcher's coalesced-delivery counter, at 0 from the start like <see cref="WebhookDeliveries"/>.</summary>
    public const string WebhookCoalesced = "pushhub.webhook.coalesced";

    private readonly Counter<long> _eventsPublished;
    private readonly Histogram<double> _publishDuration;
    private readonly Histogram<long> _storeBatchSize;

    private readonly PublishRate _rate;

    public PushHubMetrics(IMeterFactory meterFactory, IEventFeed feed, IPollingStore store, PublishRate rate, ConnectionStats connections)
    {
        _rate = rate;
        Meter = meterFactory.Create(MeterName);
        _eventsPublished = Meter.CreateCounter<long>("pushhub.events.published", "{event}", "Events durably stored");
        _publishDuration = Meter.CreateHistogram<double>("pushhub.publish.duration", "ms", "Time from a publish request's arrival to its commit");
        _storeBatchSize = Meter.CreateHistogram<long>("pushhub.store.batch.size", "{event}",
            "Events per committed batch as the log follower receives them (on SQLite, one group commit)");
        Meter.CreateObservableGauge("pushhub.subscribers", () => feed.GetStats().Total, "{subscriber}", "Live listeners on the event feed (subscriptions and parked long-polls)");
        Meter.CreateObservableGauge("pushhub.head.seq", () => store.HeadSeq, "{seq}", "The highest committed seq");
        Meter.CreateObservableGauge("pushhub.connections", () => connections.Snapshot()
            .Select(pair => new Measurement<long>(pair.Value, new KeyValuePair<string, object?>("transport", pair.Key.ToString().ToLowerInvariant()))),
            "{connection}", "Open connections per transport");

        // Counters show from the first scrape, at 0 for each label they are known to take (Prometheus users expect a
        // series to exist before its first increment). Created with the same name, unit and description as the
        // feature's own, the instrument is the same one (the runtime and the exporter both treat it so).
        _eventsPublished.Add(0);
        var deliveries = Meter.CreateCounter<long>(WebhookDeliveries, "{attempt}",
            "Delivery attempts by outcome: succeeded, failed (will retry), deferred (circuit open), gone, dead_letter");
        foreach (var outcome in WebhookOutcomes)
        {
            deliveries.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }
        Meter.CreateCounter<long>(WebhookCoalesced, "{delivery}",
            "Pending task.progress deliveries dropped because a newer one of the same task was pending").Add(0);
    }

    /// <summary>The meter, for features that add their own instruments.</summary>
    public Meter Meter { get; }

    public void Published(int events, TimeSpan duration)
    {
        _eventsPublished.Add(events);
        _publishDuration.Record(duration.TotalMilliseconds);
    }

    /// <summary>A committed batch reached this node's log follower.</summary>
    public void Committed(int events)
    {
        _storeBatchSize.Record(events);
        _rate.Add(events);
    }
}
