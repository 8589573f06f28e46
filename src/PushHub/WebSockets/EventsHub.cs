using Microsoft.AspNetCore.SignalR;
using PushHub.Hub;
using PushHub.Security;

namespace PushHub.WebSockets;

/// <summary>
/// The SignalR hub at <c>/hubs/events</c>: <c>Subscribe(taskId, after?)</c> and <c>Unsubscribe(taskId)</c>; the
/// server calls <c>event</c> with each event object (and <c>reset</c> with <c>{task_id, first_seq}</c> when the
/// resume point is older than retention). Same resume rules as SSE and the raw WebSocket.
/// </summary>
public sealed class EventsHub(SignalRSubscriptions subscriptions, ConnectionStats stats, TaskAccess access) : Microsoft.AspNetCore.SignalR.Hub
{
    private static readonly object s_leaseKey = new();

    /// <summary>Follows <paramref name="taskId"/> after <paramref name="after"/> (null: live only), replacing an earlier subscription to it.</summary>
    public void Subscribe(string taskId, long? after)
    {
        if (!EventValidator.IsValidTaskId(taskId))
        {
            throw new HubException($"taskId {EventValidator.TaskIdRule}");
        }
        if (!access.CanRead(Context.User!, taskId))
        {
            throw new HubException($"not allowed to read task '{taskId}'");
        }
        if (after < 0)
        {
            throw new HubException("after must be a seq: a whole number from 0");
        }
        if (!subscriptions.Subscribe(Context, taskId, after))
        {
            throw new HubException($"a connection may follow at most {SignalRSubscriptions.MaxPerConnection} tasks");
        }
    }

    /// <summary>Stops following <paramref name="taskId"/>.</summary>
    public void Unsubscribe(string taskId)
    {
        if (!subscriptions.Unsubscribe(Context.ConnectionId, taskId))
        {
            throw new HubException($"not subscribed to task '{taskId}'");
        }
    }

    public override Task OnConnectedAsync()
    {
        Context.Items[s_leaseKey] = stats.Open(Transport.SignalR);
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        subscriptions.RemoveConnection(Context.ConnectionId);
        (Context.Items[s_leaseKey] as IDisposable)?.Dispose();
        return Task.CompletedTask;
    }
}
