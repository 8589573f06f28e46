using Microsoft.Data.Sqlite;
using PushHub.Hub;

namespace PushHub.Storage.Sqlite;

/// <summary>One unit of work for the store's single writer; many share one transaction (group commit).</summary>
internal abstract class WriteOp
{
    /// <summary>How many events this op may append, so a group stays within its size.</summary>
    public virtual int EventCount => 0;

    /// <summary>Runs inside the group's transaction, under a savepoint of its own.</summary>
    public abstract void Execute(WriteContext context);

    /// <summary>Called after the group committed.</summary>
    public abstract void Complete();

    public abstract void Fail(Exception exception);
}

/// <summary>What an op sees of the writer while it runs.</summary>
internal sealed class WriteContext(SqliteConnection connection, AppendCommands commands, OutboxCommands outboxCommands, SqliteOutbox outbox)
{
    public SqliteConnection Connection { get; } = connection;

    public SqliteTransaction Transaction { get; set; } = null!;

    public AppendCommands Commands { get; } = commands;

    /// <summary>The dispatcher's prepared statements: claims, resolutions and the attempt log.</summary>
    public OutboxCommands OutboxCommands { get; } = outboxCommands;

    /// <summary>Writes the pending deliveries of each appended event, in the same transaction.</summary>
    public SqliteOutbox Outbox { get; } = outbox;

    /// <summary>The commit time given to every event of the group.</summary>
    public DateTimeOffset Now { get; set; }

    /// <summary>The seq the next appended event gets.</summary>
    public long NextSeq { get; set; }

    /// <summary>The oldest seq still stored, as far as the writer knows; retention moves it.</summary>
    public long FirstSeq { get; set; }

    /// <summary>Events stored by the group so far, in seq order, for the log's followers after commit.</summary>
    public List<HubEvent> Appended { get; } = [];

    public HubEvent Append(EventInput input)
    {
        var stored = StoredEvent.Create(NextSeq, input, Now);
        Commands.Insert(stored, input);
        Outbox.OnAppended(Connection, Transaction, stored);
        NextSeq++;
        Appended.Add(stored);
        return stored;
    }
}

/// <summary>Appends events, answering each with the stored event or the original of an idempotent retry.</summary>
internal sealed class AppendOp(IReadOnlyList<EventInput> inputs, long? expectedLastSeq = null) : WriteOp
{
    private readonly TaskCompletionSource<IReadOnlyList<AppendOutcome>> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private AppendOutcome[]? _outcomes;

    public Task<IReadOnlyList<AppendOutcome>> Task => _done.Task;

    public override int EventCount => inputs.Count;

    public override void Execute(WriteContext context)
    {
        if (expectedLastSeq is { } expected && context.Commands.TaskLastSeq(inputs[0].TaskId) != expected)
        {
            _outcomes = [];
            return;
        }
        var outcomes = new AppendOutcome[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            if (input.IdempotencyKey is { } key && context.Commands.FindByKey(key) is { } original)
            {
                outcomes[i] = new AppendOutcome(original, Created: false);
                continue;
            }
            outcomes[i] = new AppendOutcome(context.Append(input), Created: true);
        }
        _outcomes = outcomes;
    }

    public override void Complete() => _done.TrySetResult(_outcomes!);

    public override void Fail(Exception exception) => _done.TrySetException(exception);
}

/// <summary>Any other write (retention, health checks, webhook bookkeeping) run by the single writer.</summary>
internal sealed class JobOp<T>(Func<WriteContext, T> job) : WriteOp
{
    private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? _result;

    public Task<T> Task => _done.Task;

    public override void Execute(WriteContext context) => _result = job(context);

    public override void Complete() => _done.TrySetResult(_result!);

    public override void Fail(Exception exception) => _done.TrySetException(exception);
}
