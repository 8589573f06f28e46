using System.Diagnostics.Metrics;
using PushHub.Observability;
using PushHub.Storage;

namespace PushHub.Webhooks;

/// <summary>Webhook instruments on the hub's meter: attempts by outcome, attempt duration, dead-letter depth.</summary>
internal sealed class WebhookMetrics
{
    private readonly Counter<long> _attempts;
    private readonly Counter<long> _coalesced;
    private readonly Histogram<double> _duration;
    private long _deadLetters;

    public WebhookMetrics(PushHubMetrics metrics)
    {
        _attempts = metrics.Meter.CreateCounter<long>("pushhub.webhook.deliveries", "{attempt}",
            "Delivery attempts by outcome: succeeded, failed (will retry), deferred (circuit open), gone, dead_letter");
        _coalesced = metrics.Meter.CreateCounter<long>("pushhub.webhook.coalesced", "{delivery}",
            "Pending task.progress deliveries dropped because a newer one of the same task was pending");
        _duration = metrics.Meter.CreateHistogram<double>("pushhub.webhook.delivery.duration", "ms", "Time from sending a delivery to its answer");
        // The dispatcher refreshes the count (WebhookDispatcher.RefreshCountsAsync): a scrape never waits for the store.
        metrics.Meter.CreateObservableGauge("pushhub.webhook.dead_letters", () => Volatile.Read(ref _deadLetters), "{delivery}",
            "Dead letters waiting to be replayed or deleted");
    }

    public void Attempted(string outcome, double durationMs)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _attempts.Add(1, tag);
        if (outcome != "deferred")
        {
            _duration.Record(durationMs, tag);
        }
    }

    public void Coalesced(int deliveries)
    {
        if (deliveries > 0)
        {
            _coalesced.Add(deliveries);
        }
    }

    /// <summary>The latest counts the dispatcher read from the store.</summary>
    public void Counted(WebhookCounts counts) => Volatile.Write(ref _deadLetters, counts.DeadLetters);
}
