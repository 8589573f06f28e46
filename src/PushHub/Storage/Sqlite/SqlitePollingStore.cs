using System.Runtime.CompilerServices;
using Dapper;
using PushHub.Hub;

namespace PushHub.Storage.Sqlite;

/// <summary>
/// The SQLite event log: appends go through the writer's group commit; reads use pooled connections, each page one
/// snapshot of the database; followers get the writer's committed batches in process (<see cref="CommittedBatches"/>).
/// </summary>
internal sealed partial class SqlitePollingStore(SqliteStorage storage) : IPollingStore
{
    /// <summary>How many events a follower reads from the database at a time while it catches up.</summary>
    private const int FollowPageSize = 1000;

    public long HeadSeq => storage.Writer.HeadSeq;

    public long FirstSeq => storage.Writer.FirstSeq;

    public Task<IReadOnlyList<AppendOutcome>> AppendAsync(IReadOnlyList<EventInput> events, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfZero(events.Count);
        var op = new AppendOp(events);
        storage.Writer.Enqueue(op);
        // Not cancellable once queued: the caller may leave, but the commit goes ahead or not as one.
        return op.Task;
    }

    public async Task<HubEvent?> AppendIfUnchangedAsync(EventInput input, long expectedLastSeq, CancellationToken cancellationToken = default)
    {
        var op = new AppendOp([input], expectedLastSeq);
        storage.Writer.Enqueue(op);
        var outcomes = await op.Task.ConfigureAwait(false);
        return outcomes.Count == 0 ? null : outcomes[0].Event;
    }

    public async Task<EventPage> ReadPageAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        // The writer's head is read before the query: every event up to it is committed, so the query's snapshot sees
        // them all. One statement is one snapshot, so the oldest seq read with the rows is exactly theirs, even while
        // retention removes events: no BEGIN and no separate bounds query per read.
        var head = storage.Writer.HeadSeq;
        var upTo = query.UpTo is { } bound ? Math.Min(bound, head) : head;
        if (query.After >= upTo)
        {
            // Nothing to read (a caught-up poll or follower): no database round trip at all.
            var oldest = storage.Writer.FirstSeq;
            return new EventPage([], head, true, query.After < oldest - 1 ? oldest : null);
        }
        var sql = $"SELECT {EventRows.Columns}, (SELECT min(seq) FROM events) FROM events WHERE seq > @After AND seq <= @upTo"
            + (query.Tasks is null ? "" : " AND task_id IN @Tasks")
            + (query.Types is null ? "" : " AND type IN @Types")
            + " ORDER BY seq LIMIT @take";
        var parameters = new
        {
            query.After,
            upTo,
            query.Tasks,
            query.Types,
            // One more than the page holds, to tell a full page from the end of the range.
            take = query.Limit + 1,
        };
        await using var connection = await storage.OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        var events = new List<HubEvent>();
        var complete = true;
        long bytes = 0;
        long? first = null;
        await using (var reader = await connection.ExecuteReaderAsync(
            new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                first ??= reader.GetInt64(5);
                if (events.Count == query.Limit || (query.MaxBytes is { } maxBytes && bytes >= maxBytes))
                {
                    complete = false;
                    break;
                }
                var stored = EventRows.Read(reader);
                bytes += stored.Json.Length;
                events.Add(stored);
            }
        }
        // No row matched: the oldest seq from a later look is at least the snapshot's, so a reset it reports covers
        // only events the filter did not want; it never hides one it did.
        first ??= await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT min(seq) FROM events", cancellationToken: cancellationToken)).ConfigureAwait(false) ?? head + 1;
        return new EventPage(events, head, complete, query.After < first - 1 ? first : null);
    }

    public async IAsyncEnumerable<IReadOnlyList<HubEvent>> FollowAsync(long after, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var cursor = after;
        while (true)
        {
            using var follower = storage.Committed.Join();
            // The backlog up to the head at joining is in the database; every batch above it comes through the follower.
            while (cursor < follower.StartHead)
            {
                var page = await ReadPageAsync(new EventQuery(cursor, FollowPageSize, UpTo: follower.StartHead), cancellationToken)
                    .ConfigureAwait(false);
                if (page.Events.Count > 0)
                {
                    yield return page.Events;
                }
                cursor = page.NextCursor(cursor, follower.StartHead);
            }
            var batches = follower.Batches;
            while (await batches.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (batches.TryRead(out var batch))
                {
                    if (batch[^1].Seq <= cursor)
                    {
                        continue;
                    }
                    yield return batch[0].Seq > cursor ? batch : Array.FindAll(batch, stored => stored.Seq > cursor);
                    cursor = batch[^1].Seq;
                }
            }
            if (!follower.Overflowed)
            {
                yield break; // the store closed
            }
            // Fell too far behind: join again and read what was missed from the database.
        }
    }

    public async Task<TaskSnapshot?> GetTaskAsync(string taskId, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<TaskRow>(new CommandDefinition(
            $"SELECT {TaskRow.Columns} FROM tasks WHERE task_id = @taskId", new { taskId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToSnapshot();
    }

    public async Task<IReadOnlyList<TaskSnapshot>> ListTasksAsync(string? status, int limit, CancellationToken cancellationToken = default)
    {
        var sql = $"SELECT {TaskRow.Columns} FROM tasks"
            + (status is null ? "" : " WHERE status = @status")
            + " ORDER BY updated_at DESC, task_id LIMIT @limit";
        await using var connection = await storage.OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<TaskRow>(new CommandDefinition(sql, new { status, limit }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(row => row.ToSnapshot()).ToList();
    }

    public async Task<IReadOnlyList<TaskSnapshot>> FindSilentTasksAsync(DateTimeOffset silentSince, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<TaskRow>(new CommandDefinition(
            $"SELECT {TaskRow.Columns} FROM tasks WHERE status = 'running' AND updated_at < @since ORDER BY updated_at LIMIT @limit",
            new { since = silentSince.ToUnixTimeMilliseconds(), limit }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(row => row.ToSnapshot()).ToList();
    }

    public Task CheckWritableAsync(CancellationToken cancellationToken = default) =>
        storage.WriteAsync(context => context.Connection.Execute(
            "UPDATE meta SET value = value WHERE key = 'head_seq'", transaction: context.Transaction)).WaitAsync(cancellationToken);

    private sealed class TaskRow
    {
        public const string Columns =
            "task_id AS TaskId, status AS Status, percent AS Percent, message AS Message, created_at AS CreatedAt, " +
            "updated_at AS UpdatedAt, last_seq AS LastSeq, event_count AS EventCount";

        public string TaskId { get; init; } = "";
        public string Status { get; init; } = "";
        public double? Percent { get; init; }
        public string? Message { get; init; }
        public long CreatedAt { get; init; }
        public long UpdatedAt { get; init; }
        public long LastSeq { get; init; }
        public long EventCount { get; init; }

        public TaskSnapshot ToSnapshot() => new(TaskId, Status, Percent, Message,
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt), LastSeq, EventCount);
    }
}
