using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using PushHub.Hub;

namespace PushHub.WebSockets;

/// <summary>
/// The subscriptions of SignalR connections: one <see cref="Subscription"/> per connection, whose tasks grow and
/// shrink with <c>Subscribe</c>/<c>Unsubscribe</c>, and one pump writing its stream to the connection. Hub
/// instances live for one call, so the subscriptions are kept here and end with their connection.
/// </summary>
public sealed class SignalRSubscriptions(EventHub hub, EventsHubLifetimeManager connections, StallWatchdog watchdog)
{
    /// <summary>How many tasks one connection may follow at once.</summary>
    public const int MaxPerConnection = 100;

    // Replayed events are fresh objects, live ones are shared: the invocation is cached per event object, so a live
    // event fanned out to many connections is parsed once and serialized once per protocol.
    private static readonly ConditionalWeakTable<HubEvent, SerializedHubMessage> s_messages = new();

    private readonly ConcurrentDictionary<string, Connection> _connections = new(StringComparer.Ordinal);

    /// <summary>Opens the connection's subscription (following nothing yet) with the type filter of its URL.</summary>
    public void Open(HubCallerContext caller, IReadOnlySet<string>? types)
    {
        var connection = new Connection(hub.Open(types));
        _connections[caller.ConnectionId] = connection;
        connection.Pump = PumpAsync(caller, connection.Subscription);
    }

    /// <summary>Follows <paramref name="taskId"/> (null: all tasks); answers the effective after, or null when the
    /// connection already follows <see cref="MaxPerConnection"/> tasks.</summary>
    public async Task<long?> SubscribeAsync(string connectionId, IReadOnlyList<string?> taskIds, long? after)
    {
        var connection = _connections[connectionId];
        lock (connection.Followed)
        {
            var names = taskIds.Select(taskId => taskId ?? "*").ToHashSet(StringComparer.Ordinal);
            if (names.Except(connection.Followed).Count() + connection.Followed.Count > MaxPerConnection)
            {
                return null;
            }
            connection.Followed.UnionWith(names);
        }
        return await connection.Subscription.Follow(taskIds, after);
    }

    public bool Unsubscribe(string connectionId, string? taskId)
    {
        if (!_connections.TryGetValue(connectionId, out var connection))
        {
            return false;
        }
        lock (connection.Followed)
        {
            if (!connection.Followed.Remove(taskId ?? "*"))
            {
                return false;
            }
        }
        connection.Subscription.Unfollow(taskId);
        return true;
    }

    public async Task RemoveConnectionAsync(string connectionId)
    {
        if (_connections.TryRemove(connectionId, out var connection))
        {
            connection.Subscription.Dispose();
            await connection.Pump;
        }
    }

    private async Task PumpAsync(HubCallerContext caller, Subscription subscription)
    {
        await Task.Yield();
        if (connections.Find(caller.ConnectionId) is not { } context)
        {
            return;
        }
        using var guard = watchdog.Watch(caller.ConnectionId, caller.Abort);
        try
        {
            await foreach (var item in subscription.ReadAllAsync(caller.ConnectionAborted))
            {
                var message = item.Kind switch
                {
                    SubscriptionItemKind.Event => s_messages.GetValue(item.Event!, static e =>
                        new SerializedHubMessage(new InvocationMessage("event", [JsonSerializer.Deserialize<JsonElement>(e.Json.Span)]))),
                    SubscriptionItemKind.Reset => new SerializedHubMessage(new InvocationMessage("reset", [new ResetMessage(item.TaskId, item.FirstSeq)])),
                    _ => null, // Subscribe answers with its return value
                };
                if (message is not null)
                {
                    guard.Begin();
                    await context.WriteAsync(message, caller.ConnectionAborted);
                    guard.End();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class Connection(Subscription subscription)
    {
        public Subscription Subscription { get; } = subscription;

        public HashSet<string> Followed { get; } = new(StringComparer.Ordinal);

        public Task Pump { get; set; } = Task.CompletedTask;
    }
}

/// <summary>The <c>reset</c> call's argument: events before <paramref name="first_seq"/> were removed by retention.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "The wire names are snake_case in both protocols.")]
public sealed record ResetMessage(string? task_id, long first_seq);
