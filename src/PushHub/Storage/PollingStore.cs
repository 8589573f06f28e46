using System.Data;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushHub.Hub;

namespace PushHub.Storage;

/// <summary>
/// The SQLite event log: WAL mode, one writer that group-commits (<see cref="StoreWriter"/>), and readers on
/// pooled connections that never wait for it.
/// </summary>
public sealed class PollingStore : IPollingStore, IAsyncDisposable
{
    private const int PruneChunk = 5000;

    private readonly string _connectionString;
    private readonly StoreWriter _writer;
    private readonly FileStream _instanceLock;

    public PollingStore(IOptions<StorageOptions> options, IEventFeed feed, IEnumerable<IAppendParticipant> participants,
        TimeProvider time, ILogger<PollingStore> logger, Observability.PushHubMetrics? metrics = null)
    {
        var settings = options.Value;
        var path = System.IO.Path.GetFullPath(settings.Path);
        DatabasePath = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        _instanceLock = LockInstance(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
        }.ToString();

        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        connection.Execute("PRAGMA journal_mode = WAL");
        connection.Execute($"PRAGMA synchronous = {(settings.Synchronous == SynchronousMode.Full ? "FULL" : "NORMAL")}");
        connection.Execute("PRAGMA busy_timeout = 5000");
        Schema.Migrate(connection);

        var head = Math.Max(
            connection.ExecuteScalar<long>("SELECT value FROM meta WHERE key = 'head_seq'"),
            connection.ExecuteScalar<long?>("SELECT max(seq) FROM events") ?? 0);
        var first = connection.ExecuteScalar<long?>("SELECT min(seq) FROM events") ?? head + 1;
        if (feed is EventFeed inProcess)
        {
            inProcess.Initialize(head);
        }
        _writer = new StoreWriter(connection, participants.ToArray(), feed, time, logger, settings.MaxBatchEvents, head, first,
            metrics is null ? null : metrics.Committed);
    }

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath { get; }

    public long HeadSeq => _writer.HeadSeq;

    public long FirstSeq => _writer.FirstSeq;

    /// <summary>Runs a write on the store's single writer, inside a group transaction.</summary>
    internal Task<T> WriteAsync<T>(Func<WriteContext, T> job) => _writer.Enqueue(job);

    /// <summary>Opens a pooled read connection.</summary>
    public async Task<SqliteConnection> OpenReadConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    public Task<IReadOnlyList<AppendOutcome>> AppendAsync(IReadOnlyList<EventInput> events, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfZero(events.Count);
        var op = new AppendOp(events);
        _writer.Enqueue(op);
        // Not cancellable once queued: the caller may leave, but the commit goes ahead or not as one.
        return op.Task;
    }

    public async Task<HubEvent?> AppendIfUnchangedAsync(EventInput input, long expectedLastSeq, CancellationToken cancellationToken = default)
    {
        var op = new AppendOp([input], expectedLastSeq);
        _writer.Enqueue(op);
        var outcomes = await op.Task.ConfigureAwait(false);
        return outcomes.Count == 0 ? null : outcomes[0].Event;
    }

    public async Task<IReadOnlyList<HubEvent>> ReadAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        var sql = $"SELECT {EventRows.Columns} FROM events WHERE seq > @After"
            + (query.UpTo is null ? "" : " AND seq <= @UpTo")
            + (query.Tasks is null ? "" : " AND task_id IN @Tasks")
            + (query.Types is null ? "" : " AND type IN @Types")
            + " ORDER BY seq LIMIT @Limit";
        await using var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        var command = new CommandDefinition(sql, query, cancellationToken: cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(command).ConfigureAwait(false);
        var events = new List<HubEvent>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            events.Add(EventRows.Read(reader));
        }
        return events;
    }

    public async Task<TaskSnapshot?> GetTaskAsync(string taskId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<TaskRow>(new CommandDefinition(
            $"SELECT {TaskRow.Columns} FROM tasks WHERE task_id = @taskId", new { taskId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToSnapshot();
    }

    public async Task<IReadOnlyList<TaskSnapshot>> ListTasksAsync(string? status, int limit, CancellationToken cancellationToken = default)
    {
        var sql = $"SELECT {TaskRow.Columns} FROM tasks"
            + (status is null ? "" : " WHERE status = @status")
            + " ORDER BY updated_at DESC, task_id LIMIT @limit";
        await using var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<TaskRow>(new CommandDefinition(sql, new { status, limit }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(row => row.ToSnapshot()).ToList();
    }

    public async Task<IReadOnlyList<TaskSnapshot>> FindSilentTasksAsync(DateTimeOffset silentSince, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<TaskRow>(new CommandDefinition(
            $"SELECT {TaskRow.Columns} FROM tasks WHERE status = 'running' AND updated_at < @since ORDER BY updated_at LIMIT @limit",
            new { since = silentSince.ToUnixTimeMilliseconds(), limit }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(row => row.ToSnapshot()).ToList();
    }

    public async Task<long> PruneAsync(long maxEvents, DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        var cutoff = olderThan.ToUnixTimeMilliseconds();
        long total = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            // One bounded step per writer job, so publishers never wait behind a long delete.
            var removed = await _writer.Enqueue(context => PruneStep(context, maxEvents, cutoff)).ConfigureAwait(false);
            total += removed;
            if (removed < PruneChunk)
            {
                break;
            }
        }
        await _writer.Enqueue(context =>
        {
            foreach (var participant in context.Participants)
            {
                participant.PruneHistory(context.Connection, context.Transaction, cutoff);
            }
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
        foreach (var participant in context.Participants)
        {
            if (participant.OldestSeqNeeded(context.Connection, context.Transaction) is { } needed)
            {
                boundary = Math.Min(boundary, needed);
            }
        }
        if (boundary <= first)
        {
            return 0;
        }
        foreach (var participant in context.Participants)
        {
            participant.BeforePrune(context.Connection, context.Transaction, boundary);
        }
        var parameters = new { boundary };
        var removed = context.Connection.Execute("DELETE FROM events WHERE seq < @boundary", parameters, context.Transaction);
        context.Connection.Execute("DELETE FROM idempotency WHERE seq < @boundary", parameters, context.Transaction);
        context.Connection.Execute("DELETE FROM tasks WHERE last_seq < @boundary", parameters, context.Transaction);
        context.FirstSeq = boundary;
        return removed;
    }

    public Task CheckWritableAsync(CancellationToken cancellationToken = default) =>
        _writer.Enqueue(context => context.Connection.Execute(
            "UPDATE meta SET value = value WHERE key = 'head_seq'", transaction: context.Transaction)).WaitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _instanceLock.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Holds <c>&lt;database&gt;.lock</c> exclusively while the store is open. Two writers on one database would
    /// hand out the same seqs, so a second hub on the same file refuses to start. The OS drops the lock when
    /// the process dies, however it dies.
    /// </summary>
    private static FileStream LockInstance(string databasePath)
    {
        try
        {
            return new FileStream(databasePath + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException exception)
        {
            throw new InvalidOperationException(
                $"Another PushHub is already using {databasePath} (its lock file {databasePath}.lock is held). " +
                "Stop it, or set Storage:Path to another file.", exception);
        }
    }

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
