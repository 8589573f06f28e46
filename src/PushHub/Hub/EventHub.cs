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

    /// <summary>
    /// Answers the events after <paramref name="after"/> matching <paramref name="filter"/>. With a
    /// <paramref name="wait"/>, when there are none yet, waits until one is committed or the time is up.
    /// </summary>
    /// <remarks>When <paramref name="stopWaiting"/> fires (the hub is shutting down) a parked poll answers at once,
    /// as if its wait were up, so a restart is not held back by clients that will simply poll again.</remarks>
    public async Task<PollResult> PollAsync(long after, EventFilter filter, int limit, TimeSpan wait, CancellationToken cancellationToken = default,
        CancellationToken stopWaiting = default)
    {
        // A poll that asks again right after its answer has seen everything up to the feed's head and the store's:
        // the store has nothing for it that the feed will not hand it, so it parks without reading the store (issue
        // #15: ten thousand re-parking polls read the store twice each, on the cores their neighbours' wake-ups
        // needed). Behind the store's head it reads: a feed that trails the store (cluster mode) skips events
        // that retention or a failover removed, and only the store's page says so (truncated).
        PollResult? result = null;
        if (wait <= TimeSpan.Zero || after < _feed.Head || after < _store.HeadSeq)
        {
            result = await QueryAsync(after, filter, limit, cancellationToken).ConfigureAwait(false);
            if (result.Events.Count > 0 || wait <= TimeSpan.Zero)
            {
                return result;
            }
        }
        // Everything matching up to here is known to be absent: no event of the filter after `after` up to `covered`.
        var covered = result is { Truncated: false } ? result.LastSeq : after;

        // One token to wait on; linked only when both can fire (the connection handler passes one token that does both).
        using var linked = cancellationToken.CanBeCanceled && stopWaiting.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopWaiting)
            : null;
        var waiting = linked?.Token ?? (cancellationToken.CanBeCanceled ? cancellationToken : stopWaiting);
        var deadline = _time.GetUtcNow() + wait;
        while (true)
        {
            // A parked poll is a one-shot listener: the first batch with a matching event hands it those events,
            // so ten thousand polls woken by one publish answer from memory instead of querying the store each.
            var waiter = new FeedWaiter(after, limit);
            using (var registration = _feed.Listen(filter, waiter, once: true))
            {
                // The waiter gets every event after the feed's head as it joined; one committed between the look
                // at the store and joining would wake no one: look again, unless that look reached the head.
                if (registration.StartHead > covered)
                {
                    result = await QueryAsync(after, filter, limit, cancellationToken).ConfigureAwait(false);
                    if (result.Events.Count > 0)
                    {
                        return result;
                    }
                    covered = result.Truncated ? covered : result.LastSeq;
                }
                var remaining = deadline - _time.GetUtcNow();
                try
                {
                    await waiter.Task.WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _time, waiting).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is TimeoutException
                    || (exception is OperationCanceledException && stopWaiting.IsCancellationRequested && !cancellationToken.IsCancellationRequested))
                {
                    // Nothing arrived in time (or the hub is stopping): answer empty, with last_seq advanced to the head.
                    return await QueryAsync(after, filter, limit, cancellationToken).ConfigureAwait(false);
                }
            }
            var events = waiter.Received();
            if (events.Count > 0)
            {
                return new PollResult(events, events[^1].Seq, result?.Truncated ?? false);
            }
            // The feed trails the store by the follower's hop: the batch that woke this poll held only events at or
            // below the caller's cursor, which it has seen. Wait for the next one.
        }
    }

    private async Task<PollResult> QueryAsync(long after, EventFilter filter, int limit, CancellationToken cancellationToken)
    {
        // The page's own head: everything up to it is committed, so an empty filtered answer still advances the
        // caller's cursor to it without skipping an event it should have seen.
        var page = await _store.ReadPageAsync(new EventQuery(after, limit, filter.Tasks, filter.Types), cancellationToken).ConfigureAwait(false);
        return new PollResult(page.Events, page.NextCursor(after, upTo: null), page.ResetTo is not null);
    }

    /// <summary>Collects the matching events of the batch that woke it, in seq order, up to the page size.</summary>
    private sealed class FeedWaiter(long after, int limit) : IFeedListener
    {
        private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<HubEvent> _events = [];

        public Task Task => _arrived.Task;

        public void OnEvent(HubEvent stored)
        {
            lock (_events)
            {
                if (stored.Seq > after && _events.Count < limit)
                {
                    _events.Add(stored);
                }
            }
            _arrived.TrySetResult();
        }

        /// <summary>What has arrived so far; later events of the same batch are for the next poll.</summary>
        public List<HubEvent> Received()
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }
}

/// <summary>The answer to a poll: pass <see cref="LastSeq"/> as the next <c>after</c>.</summary>
public sealed record PollResult(IReadOnlyList<HubEvent> Events, long LastSeq, bool Truncated);
