using System.Security.Claims;
using PushHub.Hub;
using PushHub.Storage;

namespace PushHub.Webhooks;

/// <summary>
/// Checks a create or patch body's <c>fallback</c> against the stored webhooks: it must name another webhook that the
/// caller may manage (the same rule as for the webhook itself, <see cref="WebhookAccess"/>), and following the chain
/// from it must never come back to the webhook being written. Writes that set a fallback are serialized
/// (<see cref="HoldAsync"/>), so that two patches at once (A→B and B→A) cannot close a cycle between them: within a
/// node by a semaphore, and across the nodes of a cluster by the cluster lease <see cref="LeaseName"/>, held from the
/// check until the write is stored (with SQLite there is one node, which always holds it).
/// </summary>
internal sealed class WebhookFallbacks(IWebhookStore store, WebhookAccess access, IClusterLeases leases)
{
    /// <summary>The cluster lease that serializes fallback checks and writes across nodes.</summary>
    public const string LeaseName = "webhook-fallback-writes"; // not WebhookDispatcher.FallbackLease: that one a node holds for its handovers

    /// <summary>How long a held lease lasts if its node dies mid-write; a write takes milliseconds.</summary>
    private static readonly TimeSpan s_leaseDuration = TimeSpan.FromSeconds(10);

    /// <summary>How long a write waits for another node's hold: past the lease's own expiry, so a dead holder never blocks
    /// it; past it the request is answered 503 (<see cref="LeaseBusyException"/>). Shorter only in tests.</summary>
    internal TimeSpan LeaseWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longer chains are refused: a handover moves one step a time, so such a chain is a mistake, not a plan.</summary>
    public const int MaxChainLength = 16;

    private const string Field = "fallback.webhook_id";

    private readonly SemaphoreSlim _writes = new(1, 1);

    /// <summary>Held from the check until the webhook is stored; a no-op when <paramref name="request"/> sets no fallback.</summary>
    public async Task<IAsyncDisposable?> HoldAsync(WebhookRequest request, CancellationToken cancellationToken) =>
        request.FallbackWebhookId is null ? null : await HoldAllAsync(cancellationToken);

    /// <summary>
    /// Held while a webhook is deleted: a webhook that others fall back to is not deleted (they would point at nothing),
    /// and no patch may make one fall back to it meanwhile.
    /// </summary>
    public Task<IAsyncDisposable> HoldForDeleteAsync(CancellationToken cancellationToken) => HoldAllAsync(cancellationToken);

    private async Task<IAsyncDisposable> HoldAllAsync(CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken);
        try
        {
            var waitUntil = DateTime.UtcNow + LeaseWait; // real time: the lease expires in real time too
            while (!await leases.TryAcquireAsync(LeaseName, s_leaseDuration, cancellationToken))
            {
                if (DateTime.UtcNow > waitUntil)
                {
                    throw new LeaseBusyException(LeaseName, LeaseWait);
                }
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
            }
        }
        catch
        {
            _writes.Release();
            throw;
        }
        return new Release(_writes, leases);
    }

    /// <summary>The ids of the webhooks whose fallback is <paramref name="id"/>.</summary>
    public async Task<IReadOnlyList<string>> FallingBackToAsync(string id, CancellationToken cancellationToken) =>
        (await store.ListAsync(cancellationToken)).Where(webhook => webhook.FallbackWebhookId == id).Select(webhook => webhook.Id).ToList();

    /// <summary>Adds an error naming <c>fallback.webhook_id</c> when the fallback of <paramref name="request"/> may not be
    /// used by <paramref name="user"/> for the webhook <paramref name="selfId"/>.</summary>
    public async Task CheckAsync(ClaimsPrincipal user, string selfId, WebhookRequest request, ValidationErrors errors,
        CancellationToken cancellationToken)
    {
        if (request.FallbackWebhookId is not { } fallbackId || errors.Contains(Field))
        {
            return;
        }
        if (fallbackId == selfId)
        {
            errors.Add(Field, "is this webhook itself; name another webhook, such as an email to the on-call list");
            return;
        }
        // One answer for "no such webhook" and "not yours", so that a key cannot learn of webhooks it may not manage.
        if (await store.GetAsync(fallbackId, cancellationToken) is not { } fallback || !access.CanManage(user, fallback.TaskPattern))
        {
            errors.Add(Field, $"names no webhook '{fallbackId}' that this key may manage; GET /webhooks lists them");
            return;
        }
        var chain = new List<string> { selfId, fallbackId };
        for (var next = fallback.FallbackWebhookId; next is not null; next = (await store.GetAsync(next, cancellationToken))?.FallbackWebhookId)
        {
            chain.Add(next);
            if (next == selfId)
            {
                errors.Add(Field, $"would make a cycle ({string.Join(" → ", chain)}); a chain of fallbacks must end");
                return;
            }
            if (chain.Count > MaxChainLength + 1 || chain.IndexOf(next) < chain.Count - 1)
            {
                // A loop that does not pass through this webhook cannot be stored through the API; refuse to join it anyway.
                errors.Add(Field, $"starts a chain of fallbacks longer than {MaxChainLength} ({string.Join(" → ", chain)}); a chain must end");
                return;
            }
        }
    }

    private sealed class Release(SemaphoreSlim semaphore, IClusterLeases leases) : IAsyncDisposable
    {
        private int _released;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                try
                {
                    // Not the request's token: an aborted request must still hand the lease on.
                    await leases.ReleaseAsync(LeaseName, CancellationToken.None);
                }
                finally
                {
                    semaphore.Release();
                }
            }
        }
    }
}
