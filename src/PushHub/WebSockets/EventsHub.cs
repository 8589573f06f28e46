using Microsoft.AspNetCore.SignalR;
using PushHub.Hub;
using PushHub.Security;

namespace PushHub.WebSockets;

/// <summary>
/// The SignalR hub at <c>/hubs/events</c>: <c>Subscribe(taskId, after?)</c> (<c>"*"</c>: every task, for a key that
/// may read all) answers the effective after; <c>Unsubscribe(taskId)</c>. The server calls <c>event</c> with each
/// event object (and <c>reset</c> with <c>{task_id, first_seq}</c> when the resume point is older than retention),
/// in one seq order per connection. <c>type=</c> in the hub URL's query filters the connection's events. Same
/// resume rules as SSE and the raw WebSocket.
/// </summary>
public sealed class EventsHub(SignalRSubscriptions subscriptions, ConnectionStats stats, TaskAccess access) : Microsoft.AspNetCore.SignalR.Hub
{
    private static readonly object s_leaseKey = new();

    /// <summary>Follows <paramref name="taskId"/> after <paramref name="after"/> (null: live only), replacing an earlier
    /// subscription to it; answers the seq it follows from: <c>max(after, the last seq delivered)</c>.</summary>
    public Task<long> Subscribe(string taskId, long? after) => SubscribeMany([taskId], after);

    /// <summary>Follows several tasks from one <paramref name="after"/> in one step: how a client resumes a connection that
    /// followed several tasks from the highest seq it has seen (one <c>Subscribe</c> after another would let events of
    /// the first task through before the second is followed).</summary>
    public async Task<long> SubscribeMany(string[] taskIds, long? after)
    {
        if (taskIds is not { Length: > 0 })
        {
            throw new HubException("taskIds must name at least one task");
        }
        foreach (var taskId in taskIds)
        {
            var all = taskId == "*";
            if (!all && !EventValidator.IsValidTaskId(taskId))
            {
                throw new HubException($"taskId {EventValidator.TaskIdRule}, or * for all tasks");
            }
            if (all ? !access.CanReadAll(Context.User!) : !access.CanRead(Context.User!, taskId))
            {
                throw new HubException(all ? "following all tasks needs read access to every task (*)" : $"not allowed to read task '{taskId}'");
            }
        }
        if (after < 0)
        {
            throw new HubException("after must be a seq: a whole number from 0");
        }
        return await subscriptions.SubscribeAsync(Context.ConnectionId, taskIds.Select(t => t == "*" ? null : t).ToArray(), after)
            ?? throw new HubException($"a connection may follow at most {SignalRSubscriptions.MaxPerConnection} tasks");
    }

    /// <summary>Stops following <paramref name="taskId"/>.</summary>
    public void Unsubscribe(string taskId)
    {
        if (!subscriptions.Unsubscribe(Context.ConnectionId, taskId == "*" ? null : taskId))
        {
            throw new HubException($"not subscribed to task '{taskId}'");
        }
    }

    public override Task OnConnectedAsync()
    {
        var types = Context.GetHttpContext()?.Request.Query["type"] is { Count: > 0 } values ? values : default;
        foreach (var type in types)
        {
            if (!EventValidator.IsValidType(type))
            {
                throw new HubException($"each type {EventValidator.TypeRule}");
            }
        }
        Context.Items[s_leaseKey] = stats.Open(Transport.SignalR);
        subscriptions.Open(Context, types.Count > 0 ? new EventFilter(null, types!).Types : null);
        return Task.CompletedTask;
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        await subscriptions.RemoveConnectionAsync(Context.ConnectionId);
        (Context.Items[s_leaseKey] as IDisposable)?.Dispose();
    }
}
