using System.Buffers;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace PushHub.Storage.Sqlite;

/// <summary>
/// A statement prepared once on the writer's connection and stepped through SQLite's own API: bind, step, reset.
/// <see cref="SqliteCommand.ExecuteNonQuery()"/> builds a data reader, a statement enumerator, a boxed
/// <see cref="System.Data.CommandBehavior"/> and a binder object per parameter on every call — about 1.5 kB per
/// single-event publish and 1.1 kB per event of a batch (#15) — which this path does not. Text is bound as UTF-8
/// converted with <see cref="Encoding.UTF8"/>, as Microsoft.Data.Sqlite binds it, so the stored bytes are the same.
/// Only for the writer's thread, inside the transaction it opened with <see cref="SqliteConnection.BeginTransaction()"/>.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private const int StackTextBytes = 512;

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(_db, sql, out _statement), _db);
    }

    /// <summary>The 1-based position of the named parameter (<c>$seq</c>), for the Bind methods.</summary>
    public int Index(string name)
    {
        var index = raw.sqlite3_bind_parameter_index(_statement, name);
        return index > 0 ? index : throw new ArgumentException($"The statement has no parameter {name}.", nameof(name));
    }

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    public void Bind(int index, double? value) =>
        Check(value is { } number ? raw.sqlite3_bind_double(_statement, index, number) : raw.sqlite3_bind_null(_statement, index));

    public void Bind(int index, ReadOnlySpan<byte> blob) => Check(raw.sqlite3_bind_blob(_statement, index, blob));

    public void Bind(int index, string? text)
    {
        if (text is null)
        {
            Check(raw.sqlite3_bind_null(_statement, index));
            return;
        }
        var length = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        Span<byte> buffer = length <= StackTextBytes ? stackalloc byte[StackTextBytes] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(text, buffer);
            // SQLitePCL binds a span with SQLITE_TRANSIENT: SQLite copies it before this returns.
            Check(raw.sqlite3_bind_text(_statement, index, buffer[..written]));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Runs the statement to its end (it returns no rows) and resets it for the next use.</summary>
    public void Execute()
    {
        var rc = raw.sqlite3_step(_statement);
        try
        {
            // Read the error while the statement still holds it; ROW and DONE are not errors.
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    private void Check(int rc) => SqliteException.ThrowExceptionForRC(rc, _db);

    public void Dispose() => _statement.Dispose();
}
