namespace PushHub.Storage.Sqlite;

/// <summary>
/// The leases of a one-node cluster: the database's lock file already keeps every other hub away, so this node
/// holds every lease, always.
/// </summary>
internal sealed class SqliteClusterLeases : IClusterLeases
{
    public string NodeId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    public Task<bool> TryAcquireAsync(string name, TimeSpan duration, CancellationToken cancellationToken = default) => Task.FromResult(true);

    public Task ReleaseAsync(string name, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
