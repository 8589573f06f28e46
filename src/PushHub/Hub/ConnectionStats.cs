namespace PushHub.Hub;

/// <summary>The real-time transports a subscriber can connect with.</summary>
public enum Transport
{
    Sse,
    WebSocket,
    SignalR,
}

/// <summary>
/// Open connections per transport, for stats, metrics and the dashboard. Subscribers per task come from
/// <see cref="IEventFeed.GetStats"/>.
/// </summary>
public sealed class ConnectionStats
{
    private readonly long[] _open = new long[Enum.GetValues<Transport>().Length];

    /// <summary>Counts a connection as open until the returned handle is disposed.</summary>
    public IDisposable Open(Transport transport)
    {
        Interlocked.Increment(ref _open[(int)transport]);
        return new Lease(this, transport);
    }

    /// <summary>How many connections of <paramref name="transport"/> are open now.</summary>
    public long Count(Transport transport) => Interlocked.Read(ref _open[(int)transport]);

    /// <summary>A snapshot of every transport's count.</summary>
    public IReadOnlyDictionary<Transport, long> Snapshot() =>
        Enum.GetValues<Transport>().ToDictionary(transport => transport, Count);

    private sealed class Lease(ConnectionStats owner, Transport transport) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._open[(int)transport]);
            }
        }
    }
}
