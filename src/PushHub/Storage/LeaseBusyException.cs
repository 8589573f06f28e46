namespace PushHub.Storage;

/// <summary>
/// A cluster lease that a request needs was held by another node for longer than the request may wait (the holder
/// keeps renewing it). Nothing was written; the request can be sent again. Answered <c>503</c> with <c>Retry-After</c>
/// by <see cref="StorageUnavailableHandler"/>.
/// </summary>
public sealed class LeaseBusyException(string lease, TimeSpan waited)
    : Exception($"Another node held the cluster lease '{lease}' for longer than {waited.TotalSeconds:0} s; nothing was written.")
{
    /// <summary>The lease's name.</summary>
    public string Lease { get; } = lease;
}
