using System.Collections.Concurrent;
using System.Globalization;

namespace PushHub.Webhooks.Formats;

/// <summary>
/// Keeps each destination to what its service allows: at most one request per <see cref="PacingRule.Interval"/>
/// per key, and none while the service said to wait (a 429's <c>Retry-After</c>, or Discord's
/// <c>X-RateLimit-Remaining: 0</c> with <c>X-RateLimit-Reset-After</c>). In-memory and per node: a limit is a
/// courtesy to the service, and a 429 that slips through is still deferred by its verdict.
/// </summary>
internal sealed class DeliveryPacer(TimeProvider time)
{
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    /// <summary>Keys with pacing state; for tests and diagnostics.</summary>
    public int Count => _slots.Count;

    /// <summary>When the next request to <paramref name="rule"/>'s key may go (now or earlier: at once).</summary>
    public DateTimeOffset NextAllowed(PacingRule rule)
    {
        if (!_slots.TryGetValue(rule.Key, out var slot))
        {
            return time.GetUtcNow();
        }
        lock (slot)
        {
            return slot.Next;
        }
    }

    /// <summary>
    /// Takes the slot for a request to <paramref name="rule"/>'s key if it may go now, pushing the next one an
    /// interval later; otherwise leaves everything as it is and says when to come back.
    /// </summary>
    public bool TryAcquire(PacingRule rule, out DateTimeOffset notBefore)
    {
        var now = time.GetUtcNow();
        if (_slots.Count > PruneAbove)
        {
            Prune(now);
        }
        var slot = _slots.GetOrAdd(rule.Key, _ => new Slot { Next = now });
        lock (slot)
        {
            if (slot.Next > now)
            {
                notBefore = slot.Next;
                return false;
            }
            slot.Next = now + rule.Interval;
            notBefore = now;
            return true;
        }
    }

    /// <summary>Records what an answer said about the service's limits: a deferral, or rate-limit headers.</summary>
    public void Record(PacingRule rule, DeliveryAnswer answer, DeliveryVerdict verdict)
    {
        var now = time.GetUtcNow();
        var hold = verdict.Kind == VerdictKind.RetryAt ? verdict.RetryAt : null;
        if (answer.Header("X-RateLimit-Remaining")?.Trim() == "0"
            && double.TryParse(answer.Header("X-RateLimit-Reset-After"), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            && DeliveryAnswer.ClampDelay(seconds) is { } delay
            && (hold is null || now + delay > hold))
        {
            hold = now + delay;
        }
        if (hold is not { } until)
        {
            return;
        }
        var slot = _slots.GetOrAdd(rule.Key, _ => new Slot { Next = now });
        lock (slot)
        {
            if (until > slot.Next)
            {
                slot.Next = until;
            }
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, slot) in _slots)
        {
            bool idle;
            lock (slot)
            {
                idle = slot.Next < now - TimeSpan.FromMinutes(1);
            }
            if (idle)
            {
                _slots.TryRemove(key, out _);
            }
        }
    }

    private sealed class Slot
    {
        public DateTimeOffset Next;
    }
}
