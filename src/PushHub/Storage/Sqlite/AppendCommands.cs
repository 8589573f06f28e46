using Microsoft.Data.Sqlite;
using PushHub.Hub;

namespace PushHub.Storage.Sqlite;

/// <summary>
/// The prepared statements of the append path, reused for every event on the writer's one connection.
/// They are prepared statements rather than Dapper calls because this is the hottest path of the hub: a prepared
/// statement is compiled once, where a Dapper call would build and compile a command per event. The statements run
/// for every event are <see cref="RawStatement"/>s, which bind and step without per-call allocations. Consecutive
/// events of one task update its projection row once (<see cref="FlushTask"/>), not once per event.
/// </summary>
internal sealed class AppendCommands : IDisposable
{
    private readonly RawStatement _insertEvent;
    private readonly RawStatement _upsertTask;
    private readonly SqliteCommand _findKey;
    private readonly RawStatement _insertKey;
    private readonly SqliteCommand _readEvent;
    private readonly SqliteCommand _taskLastSeq;
    private readonly RawStatement _setHead;
    private readonly SqliteCommand[] _commands;
    private readonly RawStatement[] _statements;
    private readonly int _upsertTaskId;
    private readonly int _upsertStatus;
    private readonly int _upsertPercent;
    private readonly int _upsertMessage;
    private readonly int _upsertAt;
    private readonly int _upsertSeq;
    private readonly int _upsertCreated;
    private readonly int _upsertCount;
    private PendingTask _pending;

    public AppendCommands(SqliteConnection connection)
    {
        _insertEvent = new RawStatement(connection,
            "INSERT INTO events (seq, task_id, type, created_at, json) VALUES (?1, ?2, ?3, ?4, ?5)");
        _upsertTask = new RawStatement(connection,
            """
            INSERT INTO tasks (task_id, status, percent, message, created_at, updated_at, last_seq, event_count)
            VALUES ($task, coalesce($status, 'created'), $percent, $message, $created, $at, $seq, $count)
            ON CONFLICT (task_id) DO UPDATE SET
                status = coalesce($status, status),
                percent = coalesce($percent, percent),
                message = coalesce($message, message),
                updated_at = $at,
                last_seq = $seq,
                event_count = event_count + $count
            """);
        _upsertTaskId = _upsertTask.Index("$task");
        _upsertStatus = _upsertTask.Index("$status");
        _upsertPercent = _upsertTask.Index("$percent");
        _upsertMessage = _upsertTask.Index("$message");
        _upsertAt = _upsertTask.Index("$at");
        _upsertSeq = _upsertTask.Index("$seq");
        _upsertCreated = _upsertTask.Index("$created");
        _upsertCount = _upsertTask.Index("$count");
        _findKey = Prepare(connection, "SELECT seq FROM idempotency WHERE key = $key", "$key");
        _insertKey = new RawStatement(connection, "INSERT INTO idempotency (key, seq) VALUES (?1, ?2)");
        _readEvent = Prepare(connection, "SELECT seq, task_id, type, created_at, json FROM events WHERE seq = $seq", "$seq");
        _taskLastSeq = Prepare(connection, "SELECT last_seq FROM tasks WHERE task_id = $task", "$task");
        _setHead = new RawStatement(connection, "UPDATE meta SET value = ?1 WHERE key = 'head_seq'");
        _commands = [_findKey, _readEvent, _taskLastSeq];
        _statements = [_insertEvent, _upsertTask, _insertKey, _setHead];
    }

    public void Begin(SqliteTransaction transaction)
    {
        foreach (var command in _commands)
        {
            command.Transaction = transaction;
        }
    }

    /// <summary>Stores one event; its task's projection is written by <see cref="FlushTask"/>, or by the next event of another task.</summary>
    public void Insert(HubEvent stored, EventInput input)
    {
        var at = stored.Timestamp.ToUnixTimeMilliseconds();
        var insert = _insertEvent;
        insert.Bind(1, stored.Seq);
        insert.Bind(2, stored.TaskId);
        insert.Bind(3, stored.Type);
        insert.Bind(4, at);
        insert.Bind(5, stored.Json.Span);
        insert.Execute();

        if (_pending.Count > 0 && string.Equals(_pending.TaskId, stored.TaskId, StringComparison.Ordinal))
        {
            // What the row would hold after one upsert per event: the latest non-null of each field.
            _pending.Status = input.Status ?? _pending.Status;
            _pending.Percent = input.Percent ?? _pending.Percent;
            _pending.Message = input.Message ?? _pending.Message;
            _pending.UpdatedAt = at;
            _pending.LastSeq = stored.Seq;
            _pending.Count++;
        }
        else
        {
            FlushTask();
            _pending = new PendingTask
            {
                TaskId = stored.TaskId, Status = input.Status, Percent = input.Percent, Message = input.Message,
                CreatedAt = at, UpdatedAt = at, LastSeq = stored.Seq, Count = 1,
            };
        }

        if (input.IdempotencyKey is { } key)
        {
            _insertKey.Bind(1, key);
            _insertKey.Bind(2, stored.Seq);
            _insertKey.Execute();
        }
    }

    /// <summary>The event stored earlier under this idempotency key, if it is still stored.</summary>
    public HubEvent? FindByKey(string key)
    {
        _findKey.Parameters[0].Value = key;
        if (_findKey.ExecuteScalar() is not long seq)
        {
            return null;
        }
        _readEvent.Parameters[0].Value = seq;
        using var reader = _readEvent.ExecuteReader();
        return reader.Read() ? EventRows.Read(reader) : null;
    }

    /// <summary>Writes the projection of the events inserted since the last flush. The writer calls it at the end of
    /// every op, inside the op's savepoint; a read of the tasks table calls it first.</summary>
    public void FlushTask()
    {
        if (_pending.Count == 0)
        {
            return;
        }
        var pending = _pending;
        _pending = default;
        var upsert = _upsertTask;
        upsert.Bind(_upsertTaskId, pending.TaskId);
        upsert.Bind(_upsertStatus, pending.Status);
        upsert.Bind(_upsertPercent, pending.Percent);
        upsert.Bind(_upsertMessage, pending.Message);
        upsert.Bind(_upsertCreated, pending.CreatedAt);
        upsert.Bind(_upsertAt, pending.UpdatedAt);
        upsert.Bind(_upsertSeq, pending.LastSeq);
        upsert.Bind(_upsertCount, pending.Count);
        upsert.Execute();
    }

    /// <summary>Forgets the unwritten projection of an op that is being rolled back.</summary>
    public void DiscardTask() => _pending = default;

    public long? TaskLastSeq(string taskId)
    {
        FlushTask();
        _taskLastSeq.Parameters[0].Value = taskId;
        return _taskLastSeq.ExecuteScalar() is long seq ? seq : null;
    }

    public void SetHead(long seq)
    {
        _setHead.Bind(1, seq);
        _setHead.Execute();
    }

    public void Dispose()
    {
        foreach (var command in _commands)
        {
            command.Dispose();
        }
        foreach (var statement in _statements)
        {
            statement.Dispose();
        }
    }

    /// <summary>The projection of a run of consecutive events of one task, not yet written.</summary>
    private struct PendingTask
    {
        public string TaskId;
        public string? Status;
        public double? Percent;
        public string? Message;
        public long CreatedAt;
        public long UpdatedAt;
        public long LastSeq;
        public long Count;
    }

    /// <summary>A command on the writer's connection with its parameters declared, prepared on first use and kept.</summary>
    internal static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] names)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in names)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }
        return command;
    }
}

/// <summary>Reads stored event rows (<c>seq, task_id, type, created_at, json</c>) back into <see cref="HubEvent"/>s.</summary>
internal static class EventRows
{
    public const string Columns = "seq, task_id, type, created_at, json";

    public static HubEvent Read(System.Data.Common.DbDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetString(2),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
        (byte[])reader.GetValue(4));
}
