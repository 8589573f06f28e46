using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace PushHub.WebSockets;

/// <summary>
/// SignalR's default lifetime manager, keeping each connection's <see cref="HubConnectionContext"/> so that
/// <see cref="SignalRSubscriptions"/> can write a <see cref="SerializedHubMessage"/> to it: an event's invocation is
/// serialized once per protocol and the same bytes go to every connection, as SignalR does for its own broadcasts.
/// </summary>
public sealed class EventsHubLifetimeManager(ILogger<DefaultHubLifetimeManager<EventsHub>> logger) : DefaultHubLifetimeManager<EventsHub>(logger)
{
    private readonly ConcurrentDictionary<string, HubConnectionContext> _connections = new(StringComparer.Ordinal);

    public override Task OnConnectedAsync(HubConnectionContext connection)
    {
        _connections[connection.ConnectionId] = connection;
        return base.OnConnectedAsync(connection);
    }

    public override Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        _connections.TryRemove(connection.ConnectionId, out _);
        return base.OnDisconnectedAsync(connection);
    }

    /// <summary>The connection, while it is open.</summary>
    public HubConnectionContext? Find(string connectionId) => _connections.GetValueOrDefault(connectionId);
}
