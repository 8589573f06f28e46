using Microsoft.Data.Sqlite;
using PushHub.Hub;

namespace PushHub.Storage;

/// <summary>
/// Takes part in the transaction that appends events, so that what it writes (a webhook's pending deliveries,
/// say) commits or rolls back with the events themselves.
/// </summary>
public interface IAppendParticipant
{
    /// <summary>Called inside the append transaction for every newly stored event, in seq order.</summary>
    void OnAppended(SqliteConnection connection, SqliteTransaction transaction, HubEvent stored);

    /// <summary>
    /// The lowest seq this participant still needs to read from the events table, or null for none;
    /// retention never removes it or anything after it.
    /// </summary>
    long? OldestSeqNeeded(SqliteConnection connection, SqliteTransaction transaction);

    /// <summary>
    /// Called inside the retention transaction just before events below <paramref name="boundary"/> are removed,
    /// so the participant can keep its own copy of any it still refers to.
    /// </summary>
    void BeforePrune(SqliteConnection connection, SqliteTransaction transaction, long boundary);

    /// <summary>Once per retention sweep: removes the participant's own history older than <paramref name="cutoffMs"/>.</summary>
    void PruneHistory(SqliteConnection connection, SqliteTransaction transaction, long cutoffMs);
}
