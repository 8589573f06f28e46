using System.Diagnostics.Metrics;
using Dapper;
using PushHub.Observability;
using PushHub.Storage;

namespace PushHub.Webhooks;

/// <summary>Webhook instruments on the hub's meter: attempts by outcome, attempt duration, dead-letter depth.</summary>
internal sealed class WebhookMetrics
{
    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _duration;

    public WebhookMetrics(PushHubMetrics metrics, PollingStore store)
    {
        _attempts = metrics.Meter.CreateCounter<long>("pushhub.webhook.deliveries", "{attempt}",
            "Delivery attempts by outcome: succeeded, failed (will retry), deferred (circuit open), gone, dead_letter");
        _duration = metrics.Meter.CreateHistogram<double>("pushhub.webhook.delivery.duration", "ms", "Time from sending a delivery to its answer");
        metrics.Meter.CreateObservableGauge("pushhub.webhook.dead_letters", () => CountDeadLetters(store), "{delivery}", "Dead letters waiting to be replayed or deleted");
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

    private static long CountDeadLetters(PollingStore store)
    {
        // Read on scrape: an indexed count on a read connection, never on the writer.
        using var connection = store.OpenReadConnectionAsync(CancellationToken.None).GetAwaiter().GetResult();
        return connection.ExecuteScalar<long>("SELECT count(*) FROM dead_letters");
    }
}
