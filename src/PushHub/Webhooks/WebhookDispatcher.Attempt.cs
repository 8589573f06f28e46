using PushHub.Storage;
using PushHub.Webhooks.Formats;

namespace PushHub.Webhooks;

internal sealed partial class WebhookDispatcher
{
    private async Task AttemptCoreAsync(WebhookRecord webhook, ClaimedDelivery delivery, CancellationToken cancellationToken)
    {
        var attemptedAt = time.GetUtcNow();
        var attempt = delivery.Attempts + 1;
        if (delivery.Json is null)
        {
            // Retention keeps every event a pending delivery needs; this is only reachable if the row was lost by hand.
            const string Lost = "the event is no longer stored";
            await ResolveAsync(delivery, new DeliveryAttemptRecord(webhook.Id, delivery.Seq, attempt, "lost", null, 0, Lost, null, attemptedAt, null),
                new DeliveryResolution.Discard(Lost));
            return;
        }
        var result = await sender.SendAsync(webhook, delivery, cancellationToken);
        var schedule = _options.EffectiveRetrySchedule;
        var verdict = result.Verdict;
        DeliveryAttemptRecord Record(string outcome, DateTimeOffset? next = null)
        {
            metrics.Attempted(outcome, result.DurationMs);
            return new(webhook.Id, delivery.Seq, attempt, outcome, result.Status, result.DurationMs, result.Error, result.Response, attemptedAt, next);
        }

        switch (verdict.Kind)
        {
            case VerdictKind.Delivered:
                await ResolveAsync(delivery, Record("succeeded"), new DeliveryResolution.Delivered());
                LogDelivered(logger, webhook.Id, delivery.Seq, attempt, result.Status ?? 0);
                break;
            case VerdictKind.RetryAt:
                // An open circuit, or the service's rate limit saying when: no attempt spent, the schedule untouched.
                var at = verdict.RetryAt ?? time.GetUtcNow() + _options.CircuitBreakDuration;
                await ResolveAsync(delivery, Record("deferred", at), new DeliveryResolution.Retry(at, SpendsAttempt: false));
                LogDeferred(logger, webhook.Id, delivery.Seq, at, result.Error);
                break;
            case VerdictKind.Disable:
                // 410 keeps the words the dead-letter list has always shown for it.
                var reason = result.Status == 410 ? "the endpoint answered 410 Gone" : verdict.Reason ?? "the destination is gone";
                await ResolveAsync(delivery, Record(result.Status == 410 ? "gone" : "disabled"), new DeliveryResolution.Disable(reason));
                sender.Forget(webhook.Id);
                LogDisabled(logger, webhook.Id, delivery.Seq, reason);
                break;
            case VerdictKind.Permanent:
                await ResolveAsync(delivery, Record("dead_letter"), new DeliveryResolution.DeadLetter(verdict.Reason ?? "a permanent failure"));
                LogDeadLettered(logger, webhook.Id, delivery.Seq, attempt, result.Error);
                break;
            case VerdictKind.Transient when attempt > schedule.Count:
                await ResolveAsync(delivery, Record("dead_letter"), new DeliveryResolution.DeadLetter($"failed {attempt} attempts; last: {result.Error}"));
                LogDeadLettered(logger, webhook.Id, delivery.Seq, attempt, result.Error);
                break;
            default:
                // A 503's Retry-After is the earliest retry; otherwise the schedule, jittered.
                var now = time.GetUtcNow();
                var next = verdict.RetryAt is { } earliest && earliest > now ? earliest : now + Jitter(schedule[attempt - 1]);
                await ResolveAsync(delivery, Record("failed", next), new DeliveryResolution.Retry(next, SpendsAttempt: true));
                LogRetrying(logger, webhook.Id, delivery.Seq, attempt, result.Error, next);
                break;
        }
    }

    /// <summary>Records the attempt and resolves the claim; an answer that comes after the claim was lost changes nothing.</summary>
    private async Task ResolveAsync(ClaimedDelivery delivery, DeliveryAttemptRecord attempt, DeliveryResolution resolution)
    {
        // With the outcomes of the other attempts that finish meanwhile: one store call for all of them.
        if (!await RecordAsync(new DeliveryOutcome(delivery, attempt, resolution)))
        {
            LogClaimLost(logger, delivery.WebhookId, delivery.Seq);
            return;
        }
        if (resolution is DeliveryResolution.DeadLetter or DeliveryResolution.Disable)
        {
            _countsChanged = true;
        }
    }

    /// <summary>±20 %, so that endpoints recovering from an outage are not hit by every retry at once.</summary>
    internal static TimeSpan Jitter(TimeSpan delay) => delay * (0.8 + (Random.Shared.NextDouble() * 0.4));
}
