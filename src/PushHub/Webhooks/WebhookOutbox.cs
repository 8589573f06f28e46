using Dapper;
using Microsoft.Data.Sqlite;
using PushHub.Hub;
using PushHub.Storage;

namespace PushHub.Webhooks;

/// <summary>
/// The transactional outbox: inside the transaction that appends an event, it writes one pending delivery for
/// every enabled webhook whose filter the event matches, so a crash can lose neither the event nor its deliveries.
/// Webhook filters are cached in memory and reloaded, on the writer, whenever a webhook changes.
/// </summary>
public sealed class WebhookOutbox : IAppendParticipant
{
    private const string InsertSql =
        "INSERT INTO webhook_deliveries (webhook_id, seq, task_id, type, attempts, next_attempt_at) " +
        "VALUES ($webhook, $seq, $task, $type, 0, $due)";

    private volatile Target[] _targets = [];
    private volatile bool _loaded;
    private SqliteCommand? _insert;

    /// <summary>Enabled webhooks with their filters, as of the last reload.</summary>
    internal IReadOnlyList<WebhookRow> Enabled => _enabled;

    private volatile WebhookRow[] _enabled = [];

    public void OnAppended(SqliteConnection connection, SqliteTransaction transaction, HubEvent stored)
    {
        if (!_loaded)
        {
            Reload(connection, transaction);
        }
        var targets = _targets;
        if (targets.Length == 0)
        {
            return;
        }
        var insert = PrepareInsert(connection, transaction);
        foreach (var target in targets)
        {
            if (target.Filter.Matches(stored))
            {
                insert.Parameters[0].Value = target.Id;
                insert.Parameters[1].Value = stored.Seq;
                insert.Parameters[2].Value = stored.TaskId;
                insert.Parameters[3].Value = stored.Type;
                insert.Parameters[4].Value = stored.Timestamp.ToUnixTimeMilliseconds();
                insert.ExecuteNonQuery();
            }
        }
    }

    public long? OldestSeqNeeded(SqliteConnection connection, SqliteTransaction transaction) =>
        connection.ExecuteScalar<long?>("SELECT min(seq) FROM webhook_deliveries WHERE json IS NULL", transaction: transaction);

    /// <summary>Rereads the webhooks table; called on the store's writer, inside the transaction that changed it.</summary>
    internal void Reload(SqliteConnection connection, SqliteTransaction transaction)
    {
        var rows = connection.Query<WebhookRow>($"SELECT {WebhookRow.Columns} FROM webhooks WHERE enabled = 1", transaction: transaction).ToArray();
        _enabled = rows;
        _targets = rows.Select(row => new Target(row.Id, new EventFilter(row.TaskId is null ? null : [row.TaskId], row.TypeList))).ToArray();
        _loaded = true;
    }

    private SqliteCommand PrepareInsert(SqliteConnection connection, SqliteTransaction transaction)
    {
        if (_insert is null || _insert.Connection != connection)
        {
            _insert?.Dispose();
            _insert = connection.CreateCommand();
            _insert.CommandText = InsertSql;
            foreach (var name in (string[])["$webhook", "$seq", "$task", "$type", "$due"])
            {
                _insert.Parameters.Add(new SqliteParameter { ParameterName = name });
            }
        }
        _insert.Transaction = transaction;
        return _insert;
    }

    private sealed record Target(string Id, EventFilter Filter);
}
