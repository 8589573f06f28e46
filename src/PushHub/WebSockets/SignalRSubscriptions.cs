using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using PushHub.Hub;

namespace PushHub.WebSockets;

/// <summary>
/// The subscriptions of SignalR connections. Hub instances live for one call, so the pumps that outlive a
/// <c>Subscribe</c> call are kept here, per connection and task, and end when the connection does.
/// </summary>
public sealed partial class SignalRSubscriptions(EventHub hub, IHubContext<EventsHub> context, ILogger<SignalRSubscriptions> logger)
{
    /// <summary>How many tasks one connection may follow at once.</summary>
    public const int MaxPerConnection = 100;

    // Replayed events are fresh objects, live ones are shared: the parsed payload is cached per event object, so
    // a live event fanned out to many connections is parsed once.
    private static readonly ConditionalWeakTable<HubEvent, StrongBox<JsonElement>> s_payloads = new();

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, CancellationTokenSource>> _connections = new(StringComparer.Ordinal);

    /// <summary>Starts (or restarts) a pump for one task of a connection; answers false when it follows too many.</summary>
    public bool Subscribe(HubCallerContext caller, string taskId, long? after)
    {
        var pumps = _connections.GetOrAdd(caller.ConnectionId, static _ => new(StringComparer.Ordinal));
        if (pumps.TryRemove(taskId, out var previous))
        {
            previous.Cancel();
        }
        else if (pumps.Count >= MaxPerConnection)
        {
            return false;
        }
        var stop = CancellationTokenSource.CreateLinkedTokenSource(caller.ConnectionAborted);
        pumps[taskId] = stop;
        _ = PumpAsync(caller, hub.Subscribe(new EventFilter([taskId], null), after), taskId, stop.Token);
        return true;
    }

    public bool Unsubscribe(string connectionId, string taskId)
    {
        if (_connections.TryGetValue(connectionId, out var pumps) && pumps.TryRemove(taskId, out var stop))
        {
            stop.Cancel();
            return true;
        }
        return false;
    }

    public void RemoveConnection(string connectionId)
    {
        if (_connections.TryRemove(connectionId, out var pumps))
        {
            foreach (var stop in pumps.Values)
            {
                stop.Cancel();
            }
        }
    }

    private async Task PumpAsync(HubCallerContext caller, Subscription subscription, string taskId, CancellationToken stop)
    {
        // SignalR's send awaits the transport, so a client that reads nothing backs the subscription up until it
        // overflows; then the connection is aborted even while a send is stuck.
        using var onOverflow = subscription.Overflowed.Register(static state => ((HubCallerContext)state!).Abort(), caller);
        var client = context.Clients.Client(caller.ConnectionId);
        try
        {
            await foreach (var item in subscription.ReadAllAsync(stop))
            {
                if (item.Event is { } stored)
                {
                    var payload = s_payloads.GetValue(stored, static e => new(JsonSerializer.Deserialize<JsonElement>(e.Json.Span)));
                    await client.SendAsync("event", payload.Value, stop);
                }
                else
                {
                    await client.SendAsync("reset", new ResetMessage(taskId, item.FirstSeq), stop);
                }
            }
        }
        catch (SlowSubscriberException exception)
        {
            LogSlow(logger, caller.ConnectionId, exception.LastSeq);
            caller.Abort();
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            subscription.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SignalR connection {ConnectionId} fell behind the live feed at seq {LastSeq} and was disconnected")]
    private static partial void LogSlow(ILogger logger, string connectionId, long lastSeq);
}

/// <summary>The <c>reset</c> call's argument: events before <paramref name="first_seq"/> were removed by retention.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "The wire names are snake_case in both protocols.")]
public sealed record ResetMessage(string task_id, long first_seq);
