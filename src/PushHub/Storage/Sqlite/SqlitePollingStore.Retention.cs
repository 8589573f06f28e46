using Dapper;

namespace PushHub.Storage.Sqlite;

internal sealed partial class SqlitePollingStore
{
    private const int PruneChunk = 5000;

    public async Task<long> PruneAsync(long maxEvents, DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        var cutoff = olderThan.ToUnixTimeMilliseconds();
        long total = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            // One bounded step per writer job, so publishers never wait behind a long delete.
            var removed = await storage.WriteAsync(context => PruneStep(context, maxEvents, cutoff)).ConfigureAwait(false);
            total += removed;
            if (removed < PruneChunk)
            {
                break;
            }
        }
        await storage.WriteAsync(context =>
        {
            context.Outbox.PruneHistory(context.Connection, context.Transaction, cutoff);
            return 0;
        }).WaitAsync(cancellationToken).ConfigureAwait(false);
        return total;
    }

    private static long PruneStep(WriteContext context, long maxEvents, long cutoffMs)
    {
        var first = context.FirstSeq;
        var head = context.NextSeq - 1;
        if (first > head)
        {
            return 0;
        }
        var beyondCount = head - maxEvents + 1;
        var boundary = first;
        var rows = context.Connection.Query<(long Seq, long CreatedAt)>(
            "SELECT seq, created_at FROM events WHERE seq >= @first ORDER BY seq LIMIT @chunk",
            new { first, chunk = PruneChunk }, context.Transaction);
        foreach (var (seq, createdAt) in rows)
        {
            // Stop at the first event that may stay: retention removes a prefix of the log, never a hole.
            if (seq >= beyondCount && createdAt >= cutoffMs)
            {
                break;
            }
            boundary = seq + 1;
        }
        if (context.Outbox.OldestSeqNeeded(context.Connection, context.Transaction) is { } needed)
        {
            boundary = Math.Min(boundary, needed);
        }
        if (boundary <= first)
        {
            return 0;
        }
        context.Outbox.BeforePrune(context.Connection, context.Transaction, boundary);
        var parameters = new { boundary };
        var removed = context.Connection.Execute("DELETE FROM events WHERE seq < @boundary", parameters, context.Transaction);
        context.Connection.Execute("DELETE FROM idempotency WHERE seq < @boundary", parameters, context.Transaction);
        context.Connection.Execute("DELETE FROM tasks WHERE last_seq < @boundary", parameters, context.Transaction);
        context.FirstSeq = boundary;
        return removed;
    }
}
