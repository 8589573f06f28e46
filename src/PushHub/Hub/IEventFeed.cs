namespace PushHub.Hub;

/// <summary>
/// This node's live feed of committed events, in seq order. The node's <see cref="LogFollower"/> publishes to it
/// every batch the store commits, whichever node committed it; subscriptions and long-polls listen to it.
/// </summary>
public interface IEventFeed
{
    /// <summary>The highest seq handed to listeners so far.</summary>
    long Head { get; }

    /// <summary>Sets the starting head (where the log follower starts), before any event is published and before
    /// the server takes requests.</summary>
    void Initialize(long head);

    /// <summary>Hands committed events to the listeners whose filter they match. Called by the log follower alone,
    /// in seq order, with no gap; the list is not kept after the call.</summary>
    void Publish(IReadOnlyList<HubEvent> events);

    /// <summary>
    /// Starts handing matching events to <paramref name="listener"/>. It receives exactly the events with a seq
    /// above the returned registration's <see cref="FeedRegistration.StartHead"/>; everything up to that is in
    /// the store already.
    /// </summary>
    FeedRegistration Listen(EventFilter filter, IFeedListener listener);

    /// <summary>
    /// A one-shot listener (a parked long-poll): it gets the matching events above <paramref name="after"/> of the
    /// first batch that has any, and is then taken out by the feed. Events at or below <paramref name="after"/> (the
    /// caller's cursor, which may be ahead of a trailing feed) neither reach it nor use it up.
    /// </summary>
    FeedRegistration ListenOnce(EventFilter filter, IFeedListener listener, long after = 0);

    /// <summary>How many listeners follow each task right now, and how many follow all tasks.</summary>
    FeedStats GetStats();
}

/// <summary>Receives events from the feed. Called on the publishing thread: it must not block.</summary>
public interface IFeedListener
{
    void OnEvent(HubEvent stored);

    /// <summary>False for the hub's own machinery (the webhook dispatcher), which the stats do not count.</summary>
    bool IsSubscriber => true;
}

/// <summary>A listener's place in the feed; disposing it stops the events.</summary>
public abstract class FeedRegistration : IDisposable
{
    /// <summary>The feed's head when the listener joined: it gets every event after this seq.</summary>
    public long StartHead { get; protected set; }

    public abstract void Dispose();
}

/// <summary>Listener counts: per task, and those that follow every task.</summary>
public sealed record FeedStats(IReadOnlyDictionary<string, int> ListenersByTask, int AllTasksListeners)
{
    public int Total => ListenersByTask.Values.Sum() + AllTasksListeners;
}
