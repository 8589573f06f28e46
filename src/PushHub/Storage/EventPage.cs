using PushHub.Hub;

namespace PushHub.Storage;

/// <summary>
/// The answer to a range read (<see cref="EventQuery"/>): the events, and where the log stood for the same read, so a
/// reader on any node can move its cursor without a second look at the store.
/// </summary>
/// <param name="Events">Matching events with a seq above <c>After</c>, oldest first.</param>
/// <param name="Head">Every event with a seq at or below it was committed and visible to this read.</param>
/// <param name="Complete">True when <see cref="Events"/> holds every matching event up to <c>min(UpTo, Head)</c>:
/// the page was not cut short by <c>Limit</c> or <c>MaxBytes</c>. A reader then moves its cursor to that bound even
/// when the page is empty; otherwise to the last event's seq.</param>
/// <param name="ResetTo">Set when events right after <c>After</c> can no longer be read — removed by retention, or
/// lost in a failover of the store — and the log continues at this seq. A poll reports <c>truncated: true</c>; a
/// subscription yields a reset (<c>first_seq</c>) before the events.</param>
public sealed record EventPage(IReadOnlyList<HubEvent> Events, long Head, bool Complete, long? ResetTo)
{
    /// <summary>The seq a reader has seen up to once it has taken this page, for a query that read after <paramref name="after"/>.</summary>
    public long NextCursor(long after, long? upTo) =>
        Complete ? Math.Max(after, upTo is { } bound ? Math.Min(bound, Head) : Head) : Events[^1].Seq;
}
