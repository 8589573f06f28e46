using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using PushHub.Hub;
using PushHub.Storage;
using PushHub.Webhooks.Formats;

namespace PushHub.Webhooks;

/// <summary>
/// Sends due deliveries from the outbox. It sends only what it claimed in the store (<see cref="IWebhookStore.ClaimDueAsync"/>,
/// under a lease of <see cref="WebhookOptions.LeaseDuration"/>), so any number of dispatchers — on this node or others —
/// never send the same claimed delivery. Woken by committed events, by finished attempts and by the clock
/// (<see cref="TimeProvider"/>, so tests drive retries without waiting); bounded in flight overall and per endpoint,
/// claiming each endpoint's due deliveries separately so a slow endpoint cannot starve the others.
/// </summary>
internal sealed partial class WebhookDispatcher(
    IWebhookStore store,
    IClusterLeases leases,
    WebhookSender sender,
    DeliveryPacer pacer,
    IEventFeed feed,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    WebhookMetrics metrics,
    ILogger<WebhookDispatcher> logger) : BackgroundService, IFeedListener
{
    /// <summary>The lease under which one node of a cluster hands overdue deliveries to their fallbacks.</summary>
    public const string FallbackLease = "webhook-fallbacks";

    // Also the longest sleep: a clock that jumps (a FakeTimeProvider in tests) is noticed within one tick.
    private static readonly TimeSpan s_tick = TimeSpan.FromSeconds(1);

    private readonly WebhookOptions _options = options.Value;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    // Counters for the concurrency limits only: which delivery goes out is the store's claim, not these.
    private readonly ConcurrentDictionary<string, int> _inFlightByEndpoint = new(StringComparer.Ordinal);
    // Each webhook's pacing rule, with the fields it was worked out from: opening a destination parses its options.
    private readonly ConcurrentDictionary<string, (string Format, string Url, string? Options, PacingRule? Rule)> _pacing = new(StringComparer.Ordinal);
    private int _inFlight;
    private long _attempted;
    private long _lastLoop;
    private DateTimeOffset _dispatchedAt;
    // The earliest time a webhook held back by its pacing may send again, as of the last look; null when none was.
    private DateTimeOffset? _pacedUntil;
    private DateTimeOffset _countedAt = DateTimeOffset.MinValue;
    private DateTimeOffset _fallbacksCheckedAt = DateTimeOffset.MinValue;
    private volatile bool _countsChanged = true;

    /// <summary>True while the dispatch loop runs.</summary>
    public bool IsRunning => ExecuteTask is { IsCompleted: false } && Volatile.Read(ref _lastLoop) != 0;

    /// <summary>Deliveries being attempted right now by this dispatcher.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Deliveries this dispatcher has claimed and attempted since it started.</summary>
    public long Attempted => Interlocked.Read(ref _attempted);

    void IFeedListener.OnEvent(HubEvent stored) => Wake();

    bool IFeedListener.IsSubscriber => false;

    /// <summary>Asks the loop to look for due deliveries now.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(logger, (await store.ListEnabledAsync(stoppingToken)).Count);
        StartRecording();
        using var registration = feed.Listen(EventFilter.All, this);
        while (!stoppingToken.IsCancellationRequested)
        {
            Volatile.Write(ref _lastLoop, time.GetTimestamp());
            TimeSpan sleep;
            try
            {
                await DispatchDueAsync(stoppingToken);
                await RefreshCountsAsync(stoppingToken);
                sleep = await SleepAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogLoopFailed(logger, exception);
                sleep = s_tick;
            }
            using var delay = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var timer = Task.Delay(sleep, time, delay.Token);
            var woken = _wake.Reader.WaitToReadAsync(delay.Token).AsTask();
            try
            {
                await Task.WhenAny(timer, woken);
            }
            finally
            {
                delay.Cancel();
            }
            _wake.Reader.TryRead(out _);
        }
    }

    /// <summary>Stops the loop, then lets cancelled attempts give their claims back before the store goes away.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        while (InFlight > 0 && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(10, CancellationToken.None);
        }
        await StopRecordingAsync(cancellationToken);
        await leases.ReleaseAsync(FallbackLease, cancellationToken);
    }

    private async Task DispatchDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        _dispatchedAt = now;
        await HandOverOverdueAsync(now, cancellationToken);
        var webhooks = await store.ListEnabledAsync(cancellationToken);
        _pacedUntil = null;
        foreach (var webhook in webhooks)
        {
            var free = Math.Min(_options.MaxConcurrentPerEndpoint - _inFlightByEndpoint.GetValueOrDefault(webhook.Id),
                _options.MaxConcurrentDeliveries - InFlight);
            if (free <= 0)
            {
                continue;
            }
            var rule = PacingOf(webhook);
            if (rule is not null)
            {
                // Not allowed yet: left pending and unclaimed, so nothing is spent and the breaker hears nothing.
                // (Against the clock as it is now: the pacer answers "now" for a key it has not seen, later than `now` above.)
                if (pacer.NextAllowed(rule) is var allowed && allowed > time.GetUtcNow())
                {
                    HeldUntil(allowed);
                    continue;
                }
                if (rule.Interval > TimeSpan.Zero)
                {
                    free = 1;
                }
            }
            var claim = await store.ClaimDueAsync(webhook.Id, now, _options.LeaseDuration, free, cancellationToken);
            metrics.Coalesced(claim.Coalesced);
            foreach (var delivery in claim.Deliveries)
            {
                if (rule is not null && !pacer.TryAcquire(rule, out var notBefore))
                {
                    // Another webhook to the same destination (a Telegram chat, a routing key) took the slot meanwhile.
                    HeldUntil(notBefore);
                    await store.ResolveAsync(delivery, null, new DeliveryResolution.Release(), CancellationToken.None);
                    continue;
                }
                Interlocked.Increment(ref _attempted);
                Interlocked.Increment(ref _inFlight);
                _inFlightByEndpoint.AddOrUpdate(webhook.Id, 1, (_, count) => count + 1);
                _ = AttemptAsync(webhook, delivery, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Once a tick, on the one node of the cluster that holds <see cref="FallbackLease"/>: hands deliveries that were not
    /// delivered within their fallback's <c>after</c> to the fallback. Every webhook counts, not only the enabled ones:
    /// a disabled primary sends nothing, which is just when its events should go elsewhere.
    /// </summary>
    private async Task HandOverOverdueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (now - _fallbacksCheckedAt < s_tick)
        {
            return;
        }
        _fallbacksCheckedAt = now;
        var webhooks = await store.ListAsync(cancellationToken);
        if (webhooks.Any(webhook => webhook.FallbackWebhookId is not null && webhook.FallbackAfter is not null)
            && await leases.TryAcquireAsync(FallbackLease, _options.LeaseDuration, cancellationToken)
            && await store.EnqueueOverdueFallbacksAsync(now, cancellationToken) is > 0 and var handed)
        {
            LogHandedToFallback(logger, handed);
            Wake();
        }
    }

    private async Task<TimeSpan> SleepAsync(CancellationToken cancellationToken)
    {
        var next = await store.NextDueAsync(cancellationToken);
        if (next is null)
        {
            return s_tick;
        }
        if (next.Value <= _dispatchedAt)
        {
            // Due when we last looked, yet not claimed: held back by pacing (look again when it allows), or by a
            // concurrency limit (a finished attempt wakes us).
            return _pacedUntil is { } paced && paced - time.GetUtcNow() is var untilPaced && untilPaced < s_tick
                ? (untilPaced > TimeSpan.Zero ? untilPaced : TimeSpan.Zero)
                : s_tick;
        }
        var wait = next.Value - time.GetUtcNow();
        // Not positive: it fell due while we looked (the clock moved), so look again at once.
        return wait <= TimeSpan.Zero ? TimeSpan.Zero : wait < s_tick ? wait : s_tick;
    }

    /// <summary>Reads the counts for the dead-letter gauge: after a delivery was given up on, else once a tick.</summary>
    private async Task RefreshCountsAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!_countsChanged && now - _countedAt < s_tick)
        {
            return;
        }
        _countsChanged = false;
        _countedAt = now;
        metrics.Counted(await store.CountAsync(cancellationToken));
    }

    private PacingRule? PacingOf(WebhookRecord webhook)
    {
        if (_pacing.TryGetValue(webhook.Id, out var known) && known.Format == webhook.Format && known.Url == webhook.Url
            && known.Options == webhook.OptionsJson)
        {
            return known.Rule;
        }
        var rule = sender.Pacing(webhook);
        _pacing[webhook.Id] = (webhook.Format, webhook.Url, webhook.OptionsJson, rule);
        return rule;
    }

    private void HeldUntil(DateTimeOffset allowed)
    {
        if (_pacedUntil is not { } earliest || allowed < earliest)
        {
            _pacedUntil = allowed;
        }
    }

    private async Task AttemptAsync(WebhookRecord webhook, ClaimedDelivery delivery, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Yield();
            await AttemptCoreAsync(webhook, delivery, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: give the claim back, so that another dispatcher (or this one after a restart) sends it now.
            try
            {
                await store.ResolveAsync(delivery, null, new DeliveryResolution.Release(), CancellationToken.None);
            }
            catch (Exception exception)
            {
                LogReleaseFailed(logger, exception, webhook.Id, delivery.Seq);
            }
        }
        catch (Exception exception)
        {
            // The claim stays until its lease ends; then the delivery is due again.
            LogAttemptFailed(logger, exception, webhook.Id, delivery.Seq);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _inFlightByEndpoint.AddOrUpdate(webhook.Id, 0, (_, count) => count - 1);
            Wake();
        }
    }
}
