using System.Globalization;
using StackExchange.Redis;

namespace PushHub.Storage.Redis;

internal sealed partial class RedisWebhookStore
{
    public async Task<DeliveryClaim> ClaimDueAsync(string webhookId, DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        var token = Random.Shared.NextInt64(1, long.MaxValue);
        var until = (now + lease).ToUnixTimeMilliseconds();
        // Not cancellable once sent, like an append: a claim that is made must reach the caller.
        var (_, reply) = await WithSnapshotAsync(s =>
        {
            var webhook = s.Enabled.FirstOrDefault(w => w.Id == webhookId);
            return EvalAsync(RedisWebhookScripts.Claim, webhookId, now.ToUnixTimeMilliseconds(), until, LeaseOf(token), max, s.Version,
                webhook is null ? "0" : "1", webhook?.CoalesceProgress == true ? "1" : "0");
        }).ConfigureAwait(false);
        var deliveries = new List<ClaimedDelivery>((reply.Length - 2) / 3);
        for (var i = 2; i + 2 < reply.Length; i += 3)
        {
            var seq = (long)reply[i];
            var d = RedisOutboxJson.Read<RedisDelivery>((string)reply[i + 1]!);
            var json = (byte[]?)reply[i + 2];
            deliveries.Add(new ClaimedDelivery(seq, webhookId, seq, d.Task, d.Type, DateTimeOffset.FromUnixTimeMilliseconds(d.EventAt),
                d.Attempts, d.LastStatus, json is { Length: > 0 } ? json : null, d.FallbackFrom, token));
        }
        return new DeliveryClaim(deliveries, (int)(long)reply[1]);
    }

    public async Task<bool> ResolveAsync(ClaimedDelivery delivery, DeliveryAttemptRecord? attempt, DeliveryResolution resolution,
        CancellationToken cancellationToken = default) =>
        (await ResolveManyAsync([new DeliveryOutcome(delivery, attempt, resolution)], cancellationToken).ConfigureAwait(false))[0];

    public async Task<IReadOnlyList<bool>> ResolveManyAsync(IReadOnlyList<DeliveryOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        var held = new bool[outcomes.Count];
        var first = 0;
        while (first < outcomes.Count)
        {
            if (outcomes[first].Resolution is DeliveryResolution.DeadLetter or DeliveryResolution.Disable)
            {
                // These read the webhooks (fallback, the disabled JSON) and move them: one script each, in order.
                var (delivery, attempt, resolution) = outcomes[first];
                held[first] = await GiveUpAsync(delivery, attempt, resolution).ConfigureAwait(false);
                first++;
                continue;
            }
            // The run up to the next give-up: one script call (one round trip) for all of it.
            var end = first;
            var arguments = new List<RedisValue>();
            while (end < outcomes.Count && outcomes[end].Resolution is not (DeliveryResolution.DeadLetter or DeliveryResolution.Disable))
            {
                AddSettle(arguments, outcomes[end]);
                end++;
            }
            var reply = await EvalAsync(RedisWebhookScripts.ResolveMany, [.. arguments]).ConfigureAwait(false);
            for (var i = first; i < end; i++)
            {
                held[i] = (string?)reply[i - first] == "OK";
            }
            first = end;
        }
        return held;
    }

    /// <summary>One outcome's eight arguments of <c>OutboxResolveMany.lua</c>.</summary>
    private static void AddSettle(List<RedisValue> arguments, DeliveryOutcome outcome)
    {
        var (delivery, attempt, resolution) = outcome;
        var (kind, at, spent) = resolution switch
        {
            DeliveryResolution.Delivered => ("delivered", RedisValue.EmptyString, RedisValue.EmptyString),
            DeliveryResolution.Discard => ("discard", RedisValue.EmptyString, RedisValue.EmptyString),
            DeliveryResolution.Release => ("release", RedisValue.EmptyString, RedisValue.EmptyString),
            DeliveryResolution.Retry retry => ("retry", (RedisValue)retry.At.ToUnixTimeMilliseconds(), (RedisValue)(retry.SpendsAttempt ? 1 : 0)),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), resolution, "not a resolution this store knows"),
        };
        arguments.AddRange([delivery.WebhookId, delivery.Seq, delivery.ClaimToken, kind, AttemptLine(attempt), at, spent, StatusOf(attempt)]);
    }

    private static string AttemptLine(DeliveryAttemptRecord? attempt) => attempt is null ? "" : RedisOutboxJson.Write(RedisAttempt.From(attempt));

    private static string StatusOf(DeliveryAttemptRecord? attempt) => attempt?.Status is { } s ? s.ToString(CultureInfo.InvariantCulture) : "";

    /// <summary>A dead letter or a disable, by <c>OutboxResolve.lua</c> on the cached webhooks (again on fresh ones if they moved).</summary>
    private async Task<bool> GiveUpAsync(ClaimedDelivery delivery, DeliveryAttemptRecord? attempt, DeliveryResolution resolution)
    {
        var line = AttemptLine(attempt);
        var status = StatusOf(attempt);
        var (_, reply) = await WithSnapshotAsync(snapshot =>
        {
            RedisValue[] head = [delivery.WebhookId, delivery.Seq, delivery.ClaimToken, NowMs, snapshot.Version];
            RedisValue[] arguments = resolution switch
            {
                DeliveryResolution.DeadLetter dead =>
                    [.. head, "dead_letter", line, dead.Reason, attempt?.Attempt ?? delivery.Attempts, status, FallbackOf(snapshot, delivery.WebhookId)],
                DeliveryResolution.Disable disable =>
                    [.. head, "disable", line, disable.Reason, attempt?.Attempt ?? delivery.Attempts, status, FallbackOf(snapshot, delivery.WebhookId),
                        Disabled(snapshot, delivery.WebhookId, disable.Reason)],
                _ => throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "not a resolution this store knows"),
            };
            return EvalAsync(RedisWebhookScripts.Resolve, arguments);
        }).ConfigureAwait(false);
        return (string?)reply[0] == "OK";
    }

    /// <summary>The claim as the delivery records it: which node holds it, under which token.</summary>
    private string LeaseOf(long token) => nodeId + ":" + token.ToString(CultureInfo.InvariantCulture);

    /// <summary>The fallback a give-up of <paramref name="webhookId"/> hands over to: a stored webhook other than itself, or "".</summary>
    private static string FallbackOf(WebhookSnapshot snapshot, string webhookId) =>
        snapshot.Find(webhookId)?.FallbackWebhookId is { } fallback && fallback != webhookId && snapshot.Find(fallback) is not null ? fallback : "";

    private string Disabled(WebhookSnapshot snapshot, string webhookId, string reason) =>
        snapshot.Find(webhookId) is { } webhook
            ? RedisOutboxJson.Serialize(webhook with { Enabled = false, DisabledReason = reason, UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(NowMs) })
            : ""; // deleted meanwhile: the claim check refuses before this is used
}
