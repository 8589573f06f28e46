using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace PushHub.Hub;

/// <summary>
/// A parked long-poll, made to be parked again: the one completion, timer and token registration a kept-alive
/// connection's polls wait on one after another, so that a poll parked again after its answer allocates next to nothing
/// that lives until the next wake-up (issue #15: ten thousand re-parked polls each brought a state machine, a
/// completion source, a timeout's promise and timer, which every collection during the wake-up burst copied).
/// </summary>
/// <remarks>One poll at a time; awaited once per poll, as <see cref="ValueTask{TResult}"/>s are. Dispose it with its
/// connection. <see cref="EventHub.PollAsync"/> makes a single-use one when it is given none.</remarks>
public sealed class PollWaiter : IValueTaskSource<PollResult>, IThreadPoolWorkItem, IDisposable
{
    private static readonly TimerCallback s_timeUp = state => ((PollWaiter)state!).OnTimeUp();
    private static readonly Action<object?> s_cancelled = state => ((PollWaiter)state!).OnToken(Ending.Cancelled);
    private static readonly Action<object?> s_stopping = state => ((PollWaiter)state!).OnToken(Ending.Stopping);

    // _state is a poll's generation (its count on this waiter) shifted left twice, with one of these in the low bits: a
    // call meant for an earlier poll (a late event of the batch that woke it, a timer call already on its way when it
    // was answered) names that poll's generation, and cannot end the next one.
    private const int Idle = 0;
    private const int Waiting = 1;
    private const int Ended = 2;
    private const int StateBits = 3;

    private readonly EventHub _hub;
    private readonly bool _single;
    private readonly Action _queried;
    private ManualResetValueTaskSourceCore<PollResult> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;
    private ITimer? _timer;
    private long _due;
    private Parked? _parked;
    private FeedRegistration? _registration;
    private CancellationTokenRegistration _onCancel;
    private CancellationTokenRegistration _onStop;
    private ConfiguredTaskAwaitable<PollResult>.ConfiguredTaskAwaiter _query;
    private long _after;
    private EventFilter _filter = EventFilter.All;
    private int _limit;
    private bool _truncated;
    private CancellationToken _cancellationToken;

    public PollWaiter(EventHub hub)
        : this(hub, single: false)
    {
    }

    internal PollWaiter(EventHub hub, bool single)
    {
        _hub = hub;
        _single = single;
        _queried = OnQueried;
    }

    private enum Ending { Arrived, TimeUp, Cancelled, Stopping }

    /// <summary>
    /// Joins the feed for the events matching <paramref name="filter"/> above <paramref name="after"/>, unless one was
    /// handed out after <paramref name="covered"/> (the seq up to which the caller knows there is nothing for it) before
    /// it joined: then false, and the caller reads the store again. True when parked: await <see cref="WaitAsync"/>.
    /// </summary>
    internal bool TryPark(long after, long covered, bool truncated, EventFilter filter, int limit, DateTimeOffset deadline,
        CancellationToken cancellationToken, CancellationToken stopWaiting)
    {
        var idle = Volatile.Read(ref _state);
        if ((idle & StateBits) != Idle)
        {
            throw new InvalidOperationException("A poll waiter parks one poll at a time.");
        }
        var generation = (idle >> 2) + 1;
        var parked = new Parked(this, limit, generation);
        var registration = _hub.Feed.ListenOnce(filter, parked, after);
        if (registration.StartHead > covered)
        {
            registration.Dispose();
            return false;
        }
        _core.Reset();
        (_after, _filter, _limit, _truncated, _cancellationToken, _registration) = (after, filter, limit, truncated, cancellationToken, registration);
        var time = _hub.Time;
        var remaining = deadline - time.GetUtcNow();
        remaining = remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
        _due = time.GetTimestamp() + (long)(remaining.TotalSeconds * time.TimestampFrequency);
        Volatile.Write(ref _parked, parked);
        // Waiting from here: each way of ending is one exchange from it, whichever comes first.
        Interlocked.Exchange(ref _state, (generation << 2) | Waiting);
        if (_timer is null)
        {
            _timer = time.CreateTimer(s_timeUp, this, remaining, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer.Change(remaining, Timeout.InfiniteTimeSpan);
        }
        _onCancel = cancellationToken.UnsafeRegister(s_cancelled, this);
        _onStop = stopWaiting.UnsafeRegister(s_stopping, this);
        // An event that reached it before it was waiting did not end the wait: it does now.
        if (parked.HasEvents)
        {
            TryEnd(Ending.Arrived, generation);
        }
        return true;
    }

    /// <summary>The parked poll's answer: the events that woke it, or when its time is up or the hub stops, the store's
    /// answer (empty, with last_seq advanced to the head).</summary>
    internal ValueTask<PollResult> WaitAsync() => new(this, _core.Version);

    /// <summary>Ends the timer; with no poll parked (a connection's polls are over when it is disposed).</summary>
    public void Dispose()
    {
        Debug.Assert((Volatile.Read(ref _state) & StateBits) != Waiting, "disposed with a poll parked");
        _timer?.Dispose();
    }

    private void OnArrived(Parked parked) => TryEnd(Ending.Arrived, parked.Generation);

    // The timer is the connection's: a call may be one meant for the poll before, already on its way when that poll was
    // answered. Only a call at or past the waiting poll's own deadline ends it; an early one arms the timer again for
    // what is left of it (the poll's own, if the timer ran early by its clock).
    private void OnTimeUp()
    {
        var state = Volatile.Read(ref _state);
        if ((state & StateBits) != Waiting)
        {
            return;
        }
        var left = Volatile.Read(ref _due) - _hub.Time.GetTimestamp();
        if (left > 0)
        {
            _timer?.Change(TimeSpan.FromSeconds((double)left / _hub.Time.TimestampFrequency), Timeout.InfiniteTimeSpan);
            return;
        }
        TryEnd(Ending.TimeUp, state >> 2);
    }

    // The connection's tokens end whichever poll is waiting: once cancelled they stay so, and would end the next one too.
    private void OnToken(Ending ending)
    {
        var state = Volatile.Read(ref _state);
        if ((state & StateBits) == Waiting)
        {
            TryEnd(ending, state >> 2);
        }
    }

    private void TryEnd(Ending ending, int generation)
    {
        if (Interlocked.CompareExchange(ref _state, (generation << 2) | Ended, (generation << 2) | Waiting) != ((generation << 2) | Waiting))
        {
            return;
        }
        switch (ending)
        {
            case Ending.Arrived:
                _core.SetResult(null!); // the answer is taken from what has arrived when it is read
                break;
            case Ending.Cancelled:
                _core.SetException(new OperationCanceledException(_cancellationToken));
                break;
            case Ending.Stopping:
                // Not on the thread that stops the hub, which cancels every parked poll's token in a row.
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                break;
            default:
                Query();
                break;
        }
    }

    void IThreadPoolWorkItem.Execute() => Query();

    // The store's answer for a poll whose wait is over: empty, with last_seq advanced to the head (or what came in).
    private void Query()
    {
        try
        {
            _query = _hub.QueryAsync(_after, _filter, _limit, _cancellationToken).ConfigureAwait(false).GetAwaiter();
        }
        catch (Exception e)
        {
            _core.SetException(e);
            return;
        }
        if (_query.IsCompleted)
        {
            OnQueried();
        }
        else
        {
            _query.UnsafeOnCompleted(_queried);
        }
    }

    private void OnQueried()
    {
        try
        {
            _core.SetResult(_query.GetResult());
        }
        catch (Exception e)
        {
            _core.SetException(e);
        }
    }

    PollResult IValueTaskSource<PollResult>.GetResult(short token)
    {
        _ = _core.GetStatus(token); // a wrong token throws here, before the poll it does not own is released
        try
        {
            // Later events of the batch that woke it are taken too, if they are there by now; the rest are the next poll's.
            return _core.GetResult(token) ?? _parked!.Answer(_truncated);
        }
        finally
        {
            Release();
        }
    }

    private void Release()
    {
        if (_single)
        {
            _timer?.Dispose();
        }
        else
        {
            _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        _onCancel.Unregister();
        _onStop.Unregister();
        _registration?.Dispose();
        (_registration, _query, _filter, _cancellationToken) = (null, default, EventFilter.All, default);
        Volatile.Write(ref _parked, null);
        Volatile.Write(ref _state, Volatile.Read(ref _state) & ~StateBits);
    }

    ValueTaskSourceStatus IValueTaskSource<PollResult>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<PollResult>.OnCompleted(Action<object?> continuation, object? state, short token,
        ValueTaskSourceOnCompletedFlags flags) => _core.OnCompleted(continuation, state, token, flags);

    /// <summary>One parked poll's place in the feed: collects the matching events of the batch that wakes it, in seq
    /// order, up to the page size. Events that reach one after its poll was answered stay here, for no one.</summary>
    private sealed class Parked(PollWaiter waiter, int limit, int generation) : IFeedListener
    {
        private List<HubEvent>? _events;

        public int Generation { get; } = generation;

        public bool HasEvents
        {
            get
            {
                lock (this)
                {
                    return _events is not null;
                }
            }
        }

        public void OnEvent(HubEvent stored)
        {
            lock (this)
            {
                _events ??= [];
                if (_events.Count < limit)
                {
                    _events.Add(stored);
                }
            }
            waiter.OnArrived(this);
        }

        public PollResult Answer(bool truncated)
        {
            lock (this)
            {
                // Never empty once it has ended by an event; if it were, an empty answer that keeps the cursor is still true.
                if (_events is not { Count: > 0 } arrived)
                {
                    return new PollResult([], waiter._after, truncated);
                }
                var events = arrived.ToArray();
                return new PollResult(events, events[^1].Seq, truncated);
            }
        }
    }
}
