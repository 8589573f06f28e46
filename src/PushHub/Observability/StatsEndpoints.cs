using PushHub.Hub;
using PushHub.Security;
using PushHub.Storage;

namespace PushHub.Observability;

/// <summary><c>GET /stats</c>: the hub at a glance, as JSON, for the dashboard.</summary>
public static class StatsEndpoints
{
    public static RouteHandlerBuilder MapStats(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/stats", GetAsync).WithTags("Operations").WithName("GetStats")
            .WithSummary("Sequence bounds, connections per transport, subscribers, webhook backlog and the publish rate")
            .Produces<HubStats>()
            .RequireAuthorization(HubPolicies.Subscriber);

    private static async Task<IResult> GetAsync(HttpContext context, IPollingStore store, IWebhookStore webhooks, IEventFeed feed,
        ConnectionStats connections, PublishRate rate, TaskAccess access)
    {
        var feedStats = feed.GetStats();
        // Task ids are data: a caller sees the subscriber counts of the tasks it may read.
        var byTask = feedStats.ListenersByTask
            .Where(pair => access.CanRead(context.User, pair.Key))
            .OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal).Take(100)
            .ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);

        var counts = await webhooks.CountAsync(context.RequestAborted);

        return TypedResults.Ok(new HubStats(
            store.HeadSeq,
            store.FirstSeq,
            connections.Snapshot().ToDictionary(pair => pair.Key.ToString().ToLowerInvariant(), pair => pair.Value, StringComparer.Ordinal),
            feedStats.Total,
            byTask,
            counts.EnabledWebhooks,
            counts.PendingDeliveries,
            counts.DeadLetters,
            rate.Last(PublishRate.Seconds),
            access.IsOpen,
            RuntimeStats.Now()));
    }

    /// <summary>The body of <c>GET /stats</c>.</summary>
    /// <param name="HeadSeq">The highest committed seq.</param>
    /// <param name="FirstSeq">The oldest stored seq.</param>
    /// <param name="Connections">Open connections per transport (sse, websocket, signalr).</param>
    /// <param name="Subscribers">Live listeners on the feed: subscriptions and parked long-polls.</param>
    /// <param name="SubscribersByTask">Listeners per task, the 100 busiest the caller may read.</param>
    /// <param name="Webhooks">Enabled webhooks.</param>
    /// <param name="PendingDeliveries">Webhook deliveries waiting to be sent or retried.</param>
    /// <param name="DeadLetters">Deliveries given up on.</param>
    /// <param name="EventsPerSecond">Events committed in each of the last 300 seconds, oldest first.</param>
    /// <param name="OpenMode">True when no API keys are configured and anyone may do anything.</param>
    /// <param name="Runtime">The process's own figures (CPU, allocations, GC pauses, thread pool), for finding stalls.</param>
    public sealed record HubStats(
        long HeadSeq,
        long FirstSeq,
        IReadOnlyDictionary<string, long> Connections,
        int Subscribers,
        IReadOnlyDictionary<string, int> SubscribersByTask,
        long Webhooks,
        long PendingDeliveries,
        long DeadLetters,
        long[] EventsPerSecond,
        bool OpenMode,
        RuntimeStats Runtime);
}
