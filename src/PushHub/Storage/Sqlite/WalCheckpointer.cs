using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace PushHub.Storage.Sqlite;

/// <summary>
/// Folds the WAL back into the database from a connection of its own, off the writer. SQLite's automatic checkpoint
/// runs inside the commit that crosses its threshold (1,000 pages), so one publish in every few hundred waited for
/// it; the writer runs with <c>wal_autocheckpoint = 0</c> instead, and this loop checkpoints PASSIVE (never waiting
/// for readers or the writer) once a second. SQLite restarts the WAL from its start after a complete checkpoint, so
/// the file stays small.
/// </summary>
internal sealed partial class WalCheckpointer : IAsyncDisposable
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ILogger _logger;

    public WalCheckpointer(string connectionString, ILogger logger)
    {
        _logger = logger;
        _loop = Task.Factory.StartNew(() => Run(connectionString), CancellationToken.None, TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    private void Run(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        while (!_stop.Token.WaitHandle.WaitOne(s_interval))
        {
            try
            {
                connection.Execute("PRAGMA wal_checkpoint(PASSIVE)");
            }
            catch (SqliteException exception)
            {
                // A busy database is tried again in a second; the WAL only grows meanwhile.
                LogCheckpointFailed(_logger, exception);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A WAL checkpoint failed; it is tried again in a second")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);
}
