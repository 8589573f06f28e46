namespace PushHub.Webhooks;

internal sealed partial class WebhookDispatcher
{
    private async Task AttemptCoreAsync(WebhookRow webhook, PendingDelivery delivery, CancellationToken cancellationToken)
    {
        var attemptedAt = time.GetUtcNow();
        if (delivery.Json is null)
        {
            // Retention keeps every event a pending delivery needs; this is only reachable if the row was lost by hand.
            var lost = new AttemptRecord(delivery, "lost", null, 0, "the event is no longer stored", null, attemptedAt.ToUnixTimeMilliseconds());
            await store.RecordSuccessAsync(lost);
            return;
        }
        var result = await sender.SendAsync(webhook, delivery, cancellationToken);
        var attempt = delivery.Attempts + 1;
        var schedule = _options.EffectiveRetrySchedule;
        AttemptRecord Record(string outcome)
        {
            metrics.Attempted(outcome, result.DurationMs);
            return new(delivery, outcome, result.Status, result.DurationMs, result.Error, result.Response, attemptedAt.ToUnixTimeMilliseconds());
        }

        if (result.Succeeded)
        {
            await store.RecordSuccessAsync(Record("succeeded"));
            LogDelivered(logger, webhook.Id, delivery.Seq, attempt, result.Status!.Value);
        }
        else if (result.CircuitOpen)
        {
            var next = time.GetUtcNow() + (result.RetryAfter ?? _options.CircuitBreakDuration);
            await store.RecordRetryAsync(Record("deferred"), next.ToUnixTimeMilliseconds(), spendsAttempt: false);
            LogDeferred(logger, webhook.Id, delivery.Seq, next);
        }
        else if (result.Status == 410)
        {
            var reason = "the endpoint answered 410 Gone";
            await store.RecordGoneAsync(Record("gone"), reason);
            sender.Forget(webhook.Id);
            LogGone(logger, webhook.Id, delivery.Seq);
        }
        else if (attempt > schedule.Count)
        {
            var reason = $"failed {attempt} attempts; last: {result.Error}";
            await store.RecordDeadLetterAsync(Record("dead_letter"), reason);
            LogDeadLettered(logger, webhook.Id, delivery.Seq, attempt, result.Error);
        }
        else
        {
            var next = time.GetUtcNow() + (result.RetryAfter ?? Jitter(schedule[attempt - 1]));
            await store.RecordRetryAsync(Record("failed"), next.ToUnixTimeMilliseconds(), spendsAttempt: true);
            LogRetrying(logger, webhook.Id, delivery.Seq, attempt, result.Error, next);
        }
    }

    /// <summary>±20 %, so that endpoints recovering from an outage are not hit by every retry at once.</summary>
    internal static TimeSpan Jitter(TimeSpan delay) => delay * (0.8 + (Random.Shared.NextDouble() * 0.4));
}
