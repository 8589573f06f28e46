namespace PushHub.Storage;

/// <summary>
/// Leases for work that runs once per cluster, not once per node: retention, stuck-task detection, dead-letter and
/// fallback bookkeeping. With the embedded SQLite store there is one node, which always holds every lease; with Redis
/// the first node to ask holds a lease until it stops renewing it.
/// </summary>
public interface IClusterLeases
{
    /// <summary>This node's id, as leases and claims record it.</summary>
    string NodeId { get; }

    /// <summary>Takes the lease called <paramref name="name"/>, or renews it when this node holds it already, until
    /// now + <paramref name="duration"/>; true when this node holds it after the call.</summary>
    Task<bool> TryAcquireAsync(string name, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>Gives the lease up, if this node holds it, so another node can take it at once (a clean stop).</summary>
    Task ReleaseAsync(string name, CancellationToken cancellationToken = default);
}
