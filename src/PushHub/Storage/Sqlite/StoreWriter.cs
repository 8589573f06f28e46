using System.Threading.Channels;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using PushHub.Hub;

namespace PushHub.Storage.Sqlite;

/// <summary>
/// The store's one writer. Requests queue on a channel; the loop takes all that are waiting (up to
/// <see cref="StorageOptions.MaxBatchEvents"/> events), runs them in one transaction with a savepoint each, commits
/// once, answers them, and hands the committed events to the log's followers in seq order
/// (<see cref="CommittedBatches"/>). Many concurrent publishers thus share a commit, and a failing request rolls back alone.
/// </summary>
internal sealed partial class StoreWriter : IAsyncDisposable
{
    private readonly Channel<WriteOp> _queue = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _connection;
    private readonly AppendCommands _commands;
    private readonly OutboxCommands _outboxCommands;
    private readonly WriteContext _context;
    private readonly CommittedBatches _committed;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _maxBatchEvents;
    private readonly RawStatement _savepoint;
    private readonly RawStatement _release;
    private readonly SqliteCommand _rollbackTo;
    private readonly Task _loop;

    public StoreWriter(SqliteConnection connection, SqliteOutbox outbox, CommittedBatches committed,
        TimeProvider time, ILogger logger, int maxBatchEvents, long headSeq, long firstSeq)
    {
        _committed = committed;
        _connection = connection;
        _commands = new AppendCommands(connection);
        _outboxCommands = new OutboxCommands(connection);
        _context = new WriteContext(connection, _commands, _outboxCommands, outbox) { NextSeq = headSeq + 1, FirstSeq = firstSeq };
        _time = time;
        _logger = logger;
        _maxBatchEvents = maxBatchEvents;
        // Two statements per request in every group: stepped directly, without ExecuteNonQuery's per-call objects.
        _savepoint = new RawStatement(connection, "SAVEPOINT op");
        _release = new RawStatement(connection, "RELEASE op");
        _rollbackTo = Command("ROLLBACK TO op; RELEASE op");
        HeadSeq = headSeq;
        FirstSeq = firstSeq;
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public long HeadSeq { get; private set; }

    public long FirstSeq { get; private set; }

    public Task<T> Enqueue<T>(Func<WriteContext, T> job)
    {
        var op = new JobOp<T>(job);
        Enqueue(op);
        return op.Task;
    }

    public void Enqueue(WriteOp op)
    {
        if (!_queue.Writer.TryWrite(op))
        {
            op.Fail(new ObjectDisposedException(nameof(StoreWriter), "The store is shutting down."));
        }
    }

    private async Task RunAsync()
    {
        var group = new List<WriteOp>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            var events = 0;
            while (events < _maxBatchEvents && _queue.Reader.TryRead(out var op))
            {
                group.Add(op);
                events += op.EventCount;
            }
            Commit(group);
        }
    }

    private void Commit(List<WriteOp> group)
    {
        var context = _context;
        var startSeq = context.NextSeq;
        var startFirst = context.FirstSeq;
        var failed = new List<(WriteOp Op, Exception Error)>();
        context.Appended.Clear();
        try
        {
            using var transaction = _connection.BeginTransaction();
            context.Transaction = transaction;
            context.Now = _time.GetUtcNow();
            _commands.Begin(transaction);
            _outboxCommands.Begin(transaction);
            _rollbackTo.Transaction = transaction;
            foreach (var op in group)
            {
                var opSeq = context.NextSeq;
                var opAppended = context.Appended.Count;
                _savepoint.Execute();
                try
                {
                    op.Execute(context);
                    _commands.FlushTask();
                    _release.Execute();
                }
                catch (Exception exception)
                {
                    // Whatever the op threw (a constraint, or a webhook change it was given), it rolls back alone. If
                    // the transaction itself is broken, ROLLBACK TO throws too and the whole group fails below.
                    _commands.DiscardTask();
                    _rollbackTo.ExecuteNonQuery();
                    context.NextSeq = opSeq;
                    context.Appended.RemoveRange(opAppended, context.Appended.Count - opAppended);
                    // The op may have reloaded the outbox's webhooks inside what was just rolled back.
                    context.Outbox.Invalidate();
                    failed.Add((op, exception));
                }
            }
            if (context.NextSeq != startSeq)
            {
                _commands.SetHead(context.NextSeq - 1);
            }
            transaction.Commit();
        }
        catch (Exception exception)
        {
            // The whole group is lost: nothing it assigned was committed, so its seqs are free again.
            _commands.DiscardTask();
            context.NextSeq = startSeq;
            context.FirstSeq = startFirst;
            context.Appended.Clear();
            context.Outbox.Invalidate();
            LogCommitFailed(_logger, exception, group.Count);
            foreach (var op in group)
            {
                op.Fail(exception);
            }
            return;
        }

        HeadSeq = context.NextSeq - 1;
        FirstSeq = context.FirstSeq;
        foreach (var (op, error) in failed)
        {
            LogOpFailed(_logger, error);
            op.Fail(error);
        }
        foreach (var op in group)
        {
            op.Complete();
        }
        if (context.Appended.Count > 0)
        {
            _committed.Publish(context.Appended);
        }
    }

    private SqliteCommand Command(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _commands.Dispose();
        _outboxCommands.Dispose();
        _savepoint.Dispose();
        _release.Dispose();
        _rollbackTo.Dispose();
        // Fold the WAL back into the database so a clean stop leaves one file.
        _connection.Execute("PRAGMA wal_checkpoint(TRUNCATE)");
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A group commit of {Count} requests failed; all of them were answered with an error")]
    private static partial void LogCommitFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "A write request failed and was rolled back on its own")]
    private static partial void LogOpFailed(ILogger logger, Exception exception);
}
