namespace PushHub.Hub;

/// <summary>What an item of a <see cref="Subscription"/> stream is.</summary>
public enum SubscriptionItemKind
{
    /// <summary>An event to send.</summary>
    Event,

    /// <summary>Events were removed (by retention) before the reader could read them; the stream goes on from <see cref="SubscriptionItem.Seq"/>.</summary>
    Reset,

    /// <summary>A follow took effect; <see cref="SubscriptionItem.Seq"/> is its effective start.</summary>
    Followed,

    /// <summary>An unfollow took effect (<see cref="SubscriptionItem.Found"/> false: the task was not followed).</summary>
    Unfollowed,

    /// <summary>A transport's own message, posted with <see cref="Subscription.Post(object)"/>, in <see cref="SubscriptionItem.Tag"/>.</summary>
    Message,
}

/// <summary>One item of a subscription's stream: an event, a reset, or the answer to a command, in stream order.</summary>
/// <param name="TaskId">The task a reset, follow or unfollow is about; null for all tasks (or a reset of several).</param>
/// <param name="Seq">A reset's first seq (<c>first_seq</c>), or a follow's effective start (<c>after</c>).</param>
/// <param name="Tag">What the transport passed with the command.</param>
public readonly record struct SubscriptionItem(SubscriptionItemKind Kind, HubEvent? Event, string? TaskId, long Seq, bool Found, object? Tag)
{
    public bool IsReset => Kind == SubscriptionItemKind.Reset;

    /// <summary>A reset's first seq.</summary>
    public long FirstSeq => Seq;

    public static SubscriptionItem ForEvent(HubEvent stored) => new(SubscriptionItemKind.Event, stored, null, 0, true, null);

    public static SubscriptionItem ForReset(long firstSeq, string? taskId) => new(SubscriptionItemKind.Reset, null, taskId, firstSeq, true, null);

    public static SubscriptionItem ForFollowed(string? taskId, long from, object? tag) => new(SubscriptionItemKind.Followed, null, taskId, from, true, tag);

    public static SubscriptionItem ForUnfollowed(string? taskId, bool found, object? tag) => new(SubscriptionItemKind.Unfollowed, null, taskId, 0, found, tag);

    public static SubscriptionItem ForMessage(object message) => new(SubscriptionItemKind.Message, null, null, 0, true, message);
}
