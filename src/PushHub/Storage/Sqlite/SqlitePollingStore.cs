using System.Globalization;
using System.Runtime.CompilerServices;
using Dapper;
using Microsoft.Data.Sqlite;
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

    // A page's statement for a number of tasks and of types (null: no filter), made once per shape for the common ones.
    private const int CachedShapes = 8;
    private const string TaskPrefix = "@t";
    private const string TypePrefix = "@y";
    private static readonly string?[,] s_pageSql = new string?[CachedShapes + 1, CachedShapes + 1];
    private static readonly string[] s_taskNames = ParameterNames(TaskPrefix, 64);
    private static readonly string[] s_typeNames = ParameterNames(TypePrefix, 64);

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
        await using var connection = await storage.OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = PageSql(query.Tasks?.Count, query.Types?.Count);
        // Named as the statement names them: bound by one lookup each, with no prefixed retries and no list rewriting.
        command.Parameters.AddWithValue("@after", query.After);
        command.Parameters.AddWithValue("@upTo", upTo);
        // One more than the page holds, to tell a full page from the end of the range.
        command.Parameters.AddWithValue("@take", query.Limit + 1);
        AddEach(command, TaskPrefix, s_taskNames, query.Tasks);
        AddEach(command, TypePrefix, s_typeNames, query.Types);
        var events = new List<HubEvent>();
        var complete = true;
        long bytes = 0;
        long? first = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
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

    private static string PageSql(int? tasks, int? types)
    {
        if (tasks is not (null or < CachedShapes) || types is not (null or < CachedShapes))
        {
            return BuildPageSql(tasks, types);
        }
        ref var cached = ref s_pageSql[(tasks ?? -1) + 1, (types ?? -1) + 1];
        return cached ??= BuildPageSql(tasks, types);
    }

    private static string BuildPageSql(int? tasks, int? types) =>
        $"SELECT {EventRows.Columns}, (SELECT min(seq) FROM events) FROM events WHERE seq > @after AND seq <= @upTo"
        + In("task_id", TaskPrefix, s_taskNames, tasks) + In("type", TypePrefix, s_typeNames, types) + " ORDER BY seq LIMIT @take";

    // " AND column IN (@p0, @p1, …)"; an empty list matches nothing, as Dapper's expansion of one did.
    private static string In(string column, string prefix, string[] names, int? count) => count switch
    {
        null => "",
        0 => " AND 0",
        _ => $" AND {column} IN ({string.Join(", ", Enumerable.Range(0, count.Value).Select(i => Name(prefix, names, i)))})",
    };

    private static void AddEach(SqliteCommand command, string prefix, string[] names, IReadOnlyCollection<string>? values)
    {
        if (values is null)
        {
            return;
        }
        var i = 0;
        foreach (var value in values)
        {
            command.Parameters.AddWithValue(Name(prefix, names, i++), value);
        }
    }

    // The first names are made once; a longer list (a query string can name a thousand tasks) gets the rest made.
    private static string Name(string prefix, string[] names, int i) =>
        i < names.Length ? names[i] : prefix + i.ToString(CultureInfo.InvariantCulture);

    private static string[] ParameterNames(string prefix, int count) =>
        [.. Enumerable.Range(0, count).Select(i => prefix + i.ToString(CultureInfo.InvariantCulture))];

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
