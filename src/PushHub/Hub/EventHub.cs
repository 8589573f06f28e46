using Microsoft.Extensions.Options;
using PushHub.Storage;

namespace PushHub.Hub;

/// <summary>
/// The one entry point for publishing and reading events. Publishing appends through the store; the node's
/// <see cref="LogFollower"/> hands committed events to the feed in seq order; reading is a poll, a long-poll woken by the feed, or a
/// <see cref="Subscription"/> that replays the backlog and then follows the feed.
/// </summary>
public sealed partial class EventHub
{
    private readonly IPollingStore _store;
    private readonly IEventFeed _feed;
    private readonly TimeProvider _time;
    private readonly long _queueBytes;
    private readonly SubscriberCounters _counters;

    public EventHub(IPollingStore store, IEventFeed feed, IOptions<HubOptions> options, TimeProvider time, SubscriberCounters counters)
    {
        _store = store;
        _feed = feed;
        _time = time;
        _counters = counters;
        _queueBytes = options.Value.SubscriberQueueBytes;
    }

    public IPollingStore Store => _store;

    public IEventFeed Feed => _feed;

    /// <summary>Stores validated events atomically; completes once they are durably committed.</summary>
    public Task<IReadOnlyList<AppendOutcome>> PublishAsync(IReadOnlyList<EventInput> events, CancellationToken cancellationToken = default) =>
        _store.AppendAsync(events, cancellationToken);

    /// <summary>
    /// Opens a subscription: events matching <paramref name="filter"/> after <paramref name="after"/>, or only
    /// those committed from now on when <paramref name="after"/> is null. More tasks may be followed later
    /// (<see cref="Subscription.Follow"/>). Dispose it to leave.
    /// </summary>
    public Subscription Subscribe(EventFilter filter, long? after)
    {
        var subscription = Open(filter.Types, after);
        if (filter.Tasks is null)
        {
            subscription.FollowAtStart(null);
        }
        else
        {
            foreach (var task in filter.Tasks)
            {
                subscription.FollowAtStart(task);
            }
        }
        return subscription;
    }

    /// <summary>Opens a subscription that follows nothing yet: a connection adds tasks with <see cref="Subscription.Follow"/>.</summary>
    public Subscription Open(IReadOnlySet<string>? types, long? after = null) => new(_store, _feed, types, after, _queueBytes, _counters);

    internal TimeProvider Time => _time;

    /// <summary>
    /// Answers the events after <paramref name="after"/> matching <paramref name="filter"/>. With a
    /// <paramref name="wait"/>, when there are none yet, waits until one is committed or the time is up.
    /// </summary>
    /// <remarks>When <paramref name="stopWaiting"/> fires (the hub is shutting down) a parked poll answers at once,
    /// as if its wait were up, so a restart is not held back by clients that will simply poll again. A connection
    /// that polls again and again passes its own <paramref name="waiter"/>; without one, the poll makes its own.</remarks>
    public ValueTask<PollResult> PollAsync(long after, EventFilter filter, int limit, TimeSpan wait, CancellationToken cancellationToken = default,
        CancellationToken stopWaiting = default, PollWaiter? waiter = null)
    {
        // A poll that asks again right after its answer has seen everything up to the feed's head and the store's:
        // the store has nothing for it that the feed will not hand it, so it parks without reading the store (issue
        // #15: ten thousand re-parking polls read the store twice each, on the cores their neighbours' wake-ups
        // needed), and, with its connection's waiter, without allocating anything that lives until it wakes.
        if (wait > TimeSpan.Zero && after >= _feed.Head && after >= _store.HeadSeq)
        {
            waiter ??= new PollWaiter(this, single: true);
            if (waiter.TryPark(after, covered: after, truncated: false, filter, limit, _time.GetUtcNow() + wait, cancellationToken, stopWaiting))
            {
                return waiter.WaitAsync();
            }
        }
        return new ValueTask<PollResult>(ReadThenWaitAsync(after, filter, limit, wait, cancellationToken, stopWaiting, waiter));
    }

    // Behind the store's head a poll reads first: a feed that trails the store (cluster mode) skips events that
    // retention or a failover removed, and only the store's page says so (truncated).
    private async Task<PollResult> ReadThenWaitAsync(long after, EventFilter filter, int limit, TimeSpan wait, CancellationToken cancellationToken,
        CancellationToken stopWaiting, PollWaiter? waiter)
    {
        var result = await QueryAsync(after, filter, limit, cancellationToken).ConfigureAwait(false);
        if (result.Events.Count > 0 || wait <= TimeSpan.Zero)
        {
            return result;
        }
        var deadline = _time.GetUtcNow() + wait;
        // Everything matching up to here is known to be absent: no event of the filter after `after` up to `covered`.
        var covered = result.Truncated ? after : result.LastSeq;
        waiter ??= new PollWaiter(this, single: true);
        // A parked poll is a one-shot listener: the first batch with a matching event hands it those events, so ten
        // thousand polls woken by one publish answer from memory instead of querying the store each. It gets every
        // event after the feed's head as it joined; one committed between the look at the store and joining would
        // wake no one: look again.
        while (!waiter.TryPark(after, covered, result.Truncated, filter, limit, deadline, cancellationToken, stopWaiting))
        {
            result = await QueryAsync(after, filter, limit, cancellationToken).ConfigureAwait(false);
            if (result.Events.Count > 0)
            {
                return result;
            }
            covered = result.Truncated ? covered : result.LastSeq;
        }
        return await waiter.WaitAsync().ConfigureAwait(false);
    }

    internal async Task<PollResult> QueryAsync(long after, EventFilter filter, int limit, CancellationToken cancellationToken)
    {
        // The page's own head: everything up to it is committed, so an empty filtered answer still advances the
        // caller's cursor to it without skipping an event it should have seen.
        var page = await _store.ReadPageAsync(new EventQuery(after, limit, filter.Tasks, filter.Types), cancellationToken).ConfigureAwait(false);
        return new PollResult(page.Events, page.NextCursor(after, upTo: null), page.ResetTo is not null);
    }
}

/// <summary>The answer to a poll: pass <see cref="LastSeq"/> as the next <c>after</c>.</summary>
public sealed record PollResult(IReadOnlyList<HubEvent> Events, long LastSeq, bool Truncated);
