using System.Runtime.CompilerServices;
using System.Threading.Channels;
using PushHub.Storage;

namespace PushHub.Hub;

/// <summary>
/// One reader's view of the event stream: the backlog after its start seq, read from the store, followed by live
/// events from the feed, in seq order, with no gap and no duplicate. Every transport is a thin formatter over
/// one of these.
/// </summary>
/// <remarks>
/// Live events wait in a bounded queue. If the queue fills while the reader is still replaying the backlog, the
/// subscription quietly re-reads the store from where it is. If it fills once the reader is live, the reader is
/// too slow: the subscription ends with <see cref="SlowSubscriberException"/> and <see cref="Overflowed"/> fires, so
/// the transport can drop the connection even while a write to it is stuck. The client resumes from its last
/// seq and catches up from the store, losing nothing.
/// </remarks>
public sealed class Subscription : IFeedListener, IDisposable
{
    private const int ReplayPageSize = 500;

    private readonly IPollingStore _store;
    private readonly IEventFeed _feed;
    private readonly Channel<HubEvent> _queue;
    private readonly CancellationTokenSource _overflowed = new();
    private readonly Lock _gate = new();
    private FeedRegistration? _registration;
    private bool _replaying;
    private bool _resyncNeeded;
    private bool _overflow;
    private int _disposed;

    internal Subscription(IPollingStore store, IEventFeed feed, EventFilter filter, long? after, int queueCapacity)
    {
        _store = store;
        _feed = feed;
        Filter = filter;
        After = after;
        _queue = Channel.CreateBounded<HubEvent>(new BoundedChannelOptions(queueCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public EventFilter Filter { get; }

    /// <summary>The seq the reader has seen up to, or null to start with live events only.</summary>
    public long? After { get; }

    /// <summary>The seq of the last event handed to the reader.</summary>
    public long Cursor { get; private set; }

    /// <summary>Cancelled when the reader fell behind and the subscription gave up on it.</summary>
    public CancellationToken Overflowed => _overflowed.Token;

    /// <summary>
    /// The stream: a <see cref="SubscriptionItem.Reset"/> first when the start seq is older than retention, then
    /// events. Throws <see cref="SlowSubscriberException"/> when the reader could not keep up.
    /// </summary>
    public async IAsyncEnumerable<SubscriptionItem> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (After is not { } after)
        {
            Cursor = Register();
        }
        else
        {
            Cursor = after;
            while (true)
            {
                var startHead = Register();
                while (Cursor < startHead)
                {
                    var first = _store.FirstSeq;
                    if (Cursor < first - 1)
                    {
                        yield return SubscriptionItem.ForReset(first);
                        Cursor = first - 1;
                    }
                    var page = await _store.ReadAsync(
                        new EventQuery(Cursor, ReplayPageSize, Filter.Tasks, Filter.Types, UpTo: startHead), cancellationToken).ConfigureAwait(false);
                    foreach (var stored in page)
                    {
                        Cursor = stored.Seq;
                        yield return SubscriptionItem.ForEvent(stored);
                    }
                    if (page.Count < ReplayPageSize)
                    {
                        Cursor = startHead;
                    }
                }
                if (!FinishReplay())
                {
                    break;
                }
            }
        }

        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var stored))
            {
                if (stored.Seq > Cursor)
                {
                    Cursor = stored.Seq;
                    yield return SubscriptionItem.ForEvent(stored);
                }
            }
        }
        if (_overflow)
        {
            throw new SlowSubscriberException(Cursor);
        }
    }

    private long Register()
    {
        lock (_gate)
        {
            _replaying = After is not null;
            _resyncNeeded = false;
        }
        _registration?.Dispose();
        while (_queue.Reader.TryRead(out _))
        {
        }
        _registration = _feed.Listen(Filter, this);
        return _registration.StartHead;
    }

    /// <summary>Ends the replay; answers true when the queue overflowed meanwhile and the store must be read again.</summary>
    private bool FinishReplay()
    {
        lock (_gate)
        {
            _replaying = false;
            return _resyncNeeded;
        }
    }

    void IFeedListener.OnEvent(HubEvent stored)
    {
        if (_queue.Writer.TryWrite(stored))
        {
            return;
        }
        lock (_gate)
        {
            if (_replaying)
            {
                _resyncNeeded = true;
                return;
            }
            if (_overflow)
            {
                return;
            }
            _overflow = true;
        }
        _queue.Writer.TryComplete();
        // Off the publishing thread: cancellation callbacks (aborting a connection) must not delay the feed.
        ThreadPool.UnsafeQueueUserWorkItem(static cts => cts.Cancel(), _overflowed, preferLocal: false);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _registration?.Dispose();
        _queue.Writer.TryComplete();
    }
}

/// <summary>One item of a subscription: an event, or a reset telling the reader that events were removed by
/// retention before it could read them and the stream continues from <see cref="FirstSeq"/>.</summary>
public readonly record struct SubscriptionItem(HubEvent? Event, long FirstSeq)
{
    public bool IsReset => Event is null;

    public static SubscriptionItem ForEvent(HubEvent stored) => new(stored, 0);

    public static SubscriptionItem ForReset(long firstSeq) => new(null, firstSeq);
}

/// <summary>The subscriber fell too far behind the live feed and was dropped; it may resume from <see cref="LastSeq"/>.</summary>
public sealed class SlowSubscriberException(long lastSeq)
    : Exception($"The subscriber fell behind the live feed and was disconnected; resume after seq {lastSeq}.")
{
    public long LastSeq { get; } = lastSeq;
}
