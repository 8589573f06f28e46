using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PushHub.Storage.Sqlite;

/// <summary>
/// The SQLite provider: one database file in WAL mode, one writer that group-commits (<see cref="StoreWriter"/>), and
/// readers on pooled connections that never wait for it. It owns the file, its lock and the writer; the event log
/// (<see cref="Events"/>), the webhook store (<see cref="Webhooks"/>) and the cluster leases of its one node
/// (<see cref="Leases"/>) work through it.
/// </summary>
public sealed class SqliteStorage : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly FileStream _instanceLock;
    private readonly WalCheckpointer _checkpointer;

    private SqliteStorage(StorageOptions settings, TimeProvider time, ILoggerFactory loggers)
    {
        var path = System.IO.Path.GetFullPath(settings.Path);
        DatabasePath = path;
        Time = time;
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
        try
        {
            connection.Open();
            connection.Execute("PRAGMA journal_mode = WAL");
            connection.Execute($"PRAGMA synchronous = {(settings.Synchronous == SynchronousMode.Full ? "FULL" : "NORMAL")}");
            connection.Execute("PRAGMA busy_timeout = 5000");
            Schema.Migrate(connection);
            // Checkpoints run beside the writer (WalCheckpointer), not inside whichever commit crosses the threshold.
            connection.Execute("PRAGMA wal_autocheckpoint = 0");
            // The lock file proves that whoever claimed these deliveries is gone: no need to wait for their leases.
            connection.Execute("UPDATE webhook_deliveries SET lease_until = 0, claim_token = NULL WHERE claim_token IS NOT NULL");

            var head = Math.Max(
                connection.ExecuteScalar<long>("SELECT value FROM meta WHERE key = 'head_seq'"),
                connection.ExecuteScalar<long?>("SELECT max(seq) FROM events") ?? 0);
            var first = connection.ExecuteScalar<long?>("SELECT min(seq) FROM events") ?? head + 1;
            Outbox = new SqliteOutbox();
            Committed = new CommittedBatches(head);
            Writer = new StoreWriter(connection, Outbox, Committed, time, loggers.CreateLogger<SqliteStorage>(),
                settings.MaxBatchEvents, head, first);
        }
        catch
        {
            connection.Dispose();
            _instanceLock.Dispose();
            throw;
        }
        _checkpointer = new WalCheckpointer(_connectionString, loggers.CreateLogger<SqliteStorage>());
        Events = new SqlitePollingStore(this);
        Webhooks = new SqliteWebhookStore(this);
    }

    /// <summary>
    /// Opens (creating or upgrading) the database at <see cref="StorageOptions.Path"/>. Dispose the storage to close it;
    /// a second open of the same file, in this process or another, fails while it is open.
    /// </summary>
    public static SqliteStorage Open(StorageOptions options, TimeProvider? time = null, ILoggerFactory? loggers = null) =>
        new(options, time ?? TimeProvider.System, loggers ?? NullLoggerFactory.Instance);

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <summary>The event log, the task projection and retention.</summary>
    public IPollingStore Events { get; }

    /// <summary>Webhooks, their outbox, attempt log and dead letters, in the same database and transactions as the events.</summary>
    public IWebhookStore Webhooks { get; }

    /// <summary>One node: every lease is always held.</summary>
    public IClusterLeases Leases { get; } = new SqliteClusterLeases();

    internal TimeProvider Time { get; }

    internal StoreWriter Writer { get; }

    internal SqliteOutbox Outbox { get; }

    internal CommittedBatches Committed { get; }

    /// <summary>The current time as the database stores it, in whole milliseconds.</summary>
    internal long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Runs a write on the store's single writer, inside a group transaction.</summary>
    internal Task<T> WriteAsync<T>(Func<WriteContext, T> job) => Writer.Enqueue(job);

    /// <summary>Opens a pooled read connection.</summary>
    internal async Task<SqliteConnection> OpenReadConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            Committed.Close();
            await _checkpointer.DisposeAsync().ConfigureAwait(false);
            await Writer.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            // Whatever the writer's stop threw, the file is no longer ours: the next hub on it must be able to start.
            await _instanceLock.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Holds <c>&lt;database&gt;.lock</c> exclusively while the store is open. Two writers on one database would
    /// hand out the same seqs, so a second hub on the same file refuses to start. The OS drops the lock when
    /// the process dies, however it dies.
    /// </summary>
    private static FileStream LockInstance(string databasePath)
    {
        // A hub that is stopping on this file (a restart, a test's next host) lets go within moments: wait a little
        // for it before telling the operator that another one is running.
        var deadline = Environment.TickCount64 + 2_000;
        while (true)
        {
            try
            {
                return new FileStream(databasePath + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                Thread.Sleep(50);
            }
            catch (IOException exception)
            {
                throw Held(databasePath, exception);
            }
        }
    }

    private static InvalidOperationException Held(string databasePath, IOException exception) =>
        new(
            $"Another PushHub is already using {databasePath} (its lock file {databasePath}.lock is held). " +
            "Stop it, or set Storage:Path to another file.", exception);
}
