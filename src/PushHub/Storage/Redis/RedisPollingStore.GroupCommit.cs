using System.Threading.Channels;
using PushHub.Hub;

namespace PushHub.Storage.Redis;

/// <summary>
/// The group commit of the Redis log, as <c>Storage/Sqlite/StoreWriter.cs</c> does it for SQLite: appends queue on a
/// channel; one loop takes all that are waiting (up to <see cref="MaxGroupEvents"/> events) into one append script,
/// so concurrent publishers of a node share a round trip and a script call instead of paying one each. The script is
/// atomic, so each request's batch still stores all or nothing; each request gets its own outcomes, and an
/// idempotency key repeated by a later request of the same group gets the earlier one's event, as in one batch.
/// </summary>
internal sealed partial class RedisPollingStore
{
    /// <summary>The most events one group's script holds (a request larger than this goes alone).</summary>
    private const int MaxGroupEvents = 2000;

    /// <summary>
    /// Group scripts sent before the first answers: while they run, the next requests gather into a group. With one,
    /// each node waited a whole round trip per group and three nodes published 5,716/s against 7,365/s with a script
    /// per request; with four, 12,013/s (bench/compare-nchan.sh publish, 2026-12-03). Redis runs them in the order sent,
    /// each atomic, so the log's order and every group's outcomes are as with one.
    /// </summary>
    private const int MaxGroupsInFlight = 4;

    private readonly Channel<AppendOp> _appends = Channel.CreateUnbounded<AppendOp>(new UnboundedChannelOptions { SingleReader = true });
    private Task _groupLoop = Task.CompletedTask;

    private void StartGroupCommits() =>
        _groupLoop = Task.Run(RunGroupCommitsAsync);

    /// <summary>Lets the queued appends run, then ends the loop: called before the connection closes.</summary>
    internal async Task CloseAsync()
    {
        _appends.Writer.TryComplete();
        await _groupLoop.ConfigureAwait(false);
    }

    private Task<IReadOnlyList<AppendOutcome>> EnqueueAppend(IReadOnlyList<EventInput> events)
    {
        var op = new AppendOp(events);
        if (!_appends.Writer.TryWrite(op))
        {
            op.Fail(new ObjectDisposedException(nameof(RedisStorage), "The store is shutting down."));
        }
        return op.Task;
    }

    private async Task RunGroupCommitsAsync()
    {
        using var inFlight = new SemaphoreSlim(MaxGroupsInFlight);
        var reader = _appends.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Waiting here, not after the read, is what makes a group: what arrives meanwhile joins the next one.
            await inFlight.WaitAsync().ConfigureAwait(false);
            var group = new List<AppendOp>();
            var events = 0;
            while (events < MaxGroupEvents && reader.TryRead(out var op))
            {
                group.Add(op);
                events += op.Events.Count;
            }
            _ = CommitGroupAsync(group, events, inFlight);
        }
        for (var i = 0; i < MaxGroupsInFlight; i++)
        {
            await inFlight.WaitAsync().ConfigureAwait(false);
        }
    }

    private async Task CommitGroupAsync(List<AppendOp> group, int eventCount, SemaphoreSlim inFlight)
    {
        List<AppendOutcome> outcomes;
        try
        {
            outcomes = (await RunAppendScriptAsync(Concat(group, eventCount), null).ConfigureAwait(false))!;
        }
        catch (Exception exception)
        {
            // ReplicationTimeoutException among them: stored on the primary, not acknowledged to anyone of the group.
            inFlight.Release();
            Fail(group, exception);
            return;
        }
        // Only now: with WaitForReplicas, the script's WAIT went right after it on the same primary (see
        // EvaluateAppendAsync), and the next group gathers meanwhile.
        inFlight.Release();
        if (group.Count == 1)
        {
            group[0].Complete(outcomes);
            return;
        }
        var at = 0;
        foreach (var op in group)
        {
            op.Complete(outcomes.GetRange(at, op.Events.Count));
            at += op.Events.Count;
        }
    }

    private static IReadOnlyList<EventInput> Concat(List<AppendOp> group, int eventCount)
    {
        if (group.Count == 1)
        {
            return group[0].Events;
        }
        var events = new List<EventInput>(eventCount);
        foreach (var op in group)
        {
            events.AddRange(op.Events);
        }
        return events;
    }

    private static void Fail(List<AppendOp> group, Exception exception)
    {
        foreach (var op in group)
        {
            op.Fail(exception);
        }
    }

    /// <summary>One request's events, waiting for the group script that stores them.</summary>
    private sealed class AppendOp(IReadOnlyList<EventInput> events)
    {
        private readonly TaskCompletionSource<IReadOnlyList<AppendOutcome>> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<EventInput> Events { get; } = events;

        public Task<IReadOnlyList<AppendOutcome>> Task => _done.Task;

        public void Complete(IReadOnlyList<AppendOutcome> outcomes) => _done.TrySetResult(outcomes);

        public void Fail(Exception exception) => _done.TrySetException(exception);
    }
}
