using Microsoft.Data.Sqlite;
using PushHub.Hub;

namespace PushHub.Storage.Sqlite;

/// <summary>
/// The prepared statements of the append path, reused for every event on the writer's one connection.
/// They are plain <see cref="SqliteCommand"/>s rather than Dapper calls because this is the hottest path of the
/// hub: a prepared statement is compiled once, where a Dapper call would build and compile a command per event.
/// </summary>
internal sealed class AppendCommands : IDisposable
{
    private readonly SqliteCommand _insertEvent;
    private readonly SqliteCommand _upsertTask;
    private readonly SqliteCommand _findKey;
    private readonly SqliteCommand _insertKey;
    private readonly SqliteCommand _readEvent;
    private readonly SqliteCommand _taskLastSeq;
    private readonly SqliteCommand _setHead;
    private readonly SqliteCommand[] _all;

    public AppendCommands(SqliteConnection connection)
    {
        _insertEvent = Prepare(connection,
            "INSERT INTO events (seq, task_id, type, created_at, json) VALUES ($seq, $task, $type, $at, $json)",
            "$seq", "$task", "$type", "$at", "$json");
        _upsertTask = Prepare(connection,
            """
            INSERT INTO tasks (task_id, status, percent, message, created_at, updated_at, last_seq, event_count)
            VALUES ($task, coalesce($status, 'created'), $percent, $message, $at, $at, $seq, 1)
            ON CONFLICT (task_id) DO UPDATE SET
                status = coalesce($status, status),
                percent = coalesce($percent, percent),
                message = coalesce($message, message),
                updated_at = $at,
                last_seq = $seq,
                event_count = event_count + 1
            """,
            "$task", "$status", "$percent", "$message", "$at", "$seq");
        _findKey = Prepare(connection, "SELECT seq FROM idempotency WHERE key = $key", "$key");
        _insertKey = Prepare(connection, "INSERT INTO idempotency (key, seq) VALUES ($key, $seq)", "$key", "$seq");
        _readEvent = Prepare(connection, "SELECT seq, task_id, type, created_at, json FROM events WHERE seq = $seq", "$seq");
        _taskLastSeq = Prepare(connection, "SELECT last_seq FROM tasks WHERE task_id = $task", "$task");
        _setHead = Prepare(connection, "UPDATE meta SET value = $seq WHERE key = 'head_seq'", "$seq");
        _all = [_insertEvent, _upsertTask, _findKey, _insertKey, _readEvent, _taskLastSeq, _setHead];
    }

    public void Begin(SqliteTransaction transaction)
    {
        foreach (var command in _all)
        {
            command.Transaction = transaction;
        }
    }

    public void Insert(HubEvent stored, EventInput input)
    {
        var at = stored.Timestamp.ToUnixTimeMilliseconds();
        var p = _insertEvent.Parameters;
        p[0].Value = stored.Seq;
        p[1].Value = stored.TaskId;
        p[2].Value = stored.Type;
        p[3].Value = at;
        p[4].Value = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(stored.Json, out var segment) && segment.Count == segment.Array!.Length
            ? segment.Array
            : stored.Json.ToArray();
        _insertEvent.ExecuteNonQuery();

        p = _upsertTask.Parameters;
        p[0].Value = stored.TaskId;
        p[1].Value = (object?)input.Status ?? DBNull.Value;
        p[2].Value = input.Percent is { } percent ? percent : DBNull.Value;
        p[3].Value = (object?)input.Message ?? DBNull.Value;
        p[4].Value = at;
        p[5].Value = stored.Seq;
        _upsertTask.ExecuteNonQuery();

        if (input.IdempotencyKey is { } key)
        {
            _insertKey.Parameters[0].Value = key;
            _insertKey.Parameters[1].Value = stored.Seq;
            _insertKey.ExecuteNonQuery();
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

    public long? TaskLastSeq(string taskId)
    {
        _taskLastSeq.Parameters[0].Value = taskId;
        return _taskLastSeq.ExecuteScalar() is long seq ? seq : null;
    }

    public void SetHead(long seq)
    {
        _setHead.Parameters[0].Value = seq;
        _setHead.ExecuteNonQuery();
    }

    public void Dispose()
    {
        foreach (var command in _all)
        {
            command.Dispose();
        }
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
