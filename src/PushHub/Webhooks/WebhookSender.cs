using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using PushHub.Hub;
using PushHub.Storage;
using PushHub.Webhooks.Formats;

namespace PushHub.Webhooks;

/// <summary>
/// What one attempt came to: the format's <see cref="Verdict"/> on the answer (or on its absence), with every text
/// already masked. <see cref="Status"/> is null when no response arrived.
/// </summary>
internal sealed record AttemptResult(int? Status, DeliveryVerdict Verdict, string? Error, string? Response, bool CircuitOpen, double DurationMs)
{
    public bool Succeeded => Verdict.Kind == VerdictKind.Delivered;

    /// <summary>
    /// What counts against an endpoint's circuit: a transient failure with no answer, a timeout, a 5xx, 408 or 429.
    /// A rate limit's deferral (Retry-After), a permanent failure or a disabling answer does not.
    /// </summary>
    public bool IsEndpointFailure => Verdict.Kind == VerdictKind.Transient && Status is null or >= 500 or 408 or 429;
}

/// <summary>
/// Makes one delivery attempt in the webhook's format (<see cref="NotificationSender"/>: standard is the signed event
/// JSON, byte for byte) through the endpoint's Polly pipeline: a circuit breaker (per endpoint) around a timeout (per
/// attempt). Retries are not Polly's: they are durable, scheduled by the dispatcher from the verdict.
/// </summary>
internal sealed class WebhookSender(NotificationFormats formats, NotificationSender notifications, IOptions<WebhookOptions> options, TimeProvider time)
{
    /// <summary>The named <see cref="HttpClient"/> for deliveries (no redirects, SSRF-vetted connections).</summary>
    public const string ClientName = "PushHub.Webhooks";

    private readonly WebhookOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, ResiliencePipeline<AttemptResult>> _pipelines = new(StringComparer.Ordinal);
    // Each webhook's destination, with the record it was opened from: opening one parses its URL and options, decodes
    // its signing keys and works out what to mask, which is the same for every delivery until the webhook changes.
    private readonly ConcurrentDictionary<string, (WebhookRecord From, NotificationDestination Destination)> _destinations = new(StringComparer.Ordinal);

    /// <summary>Drops an endpoint's pipeline (and circuit state) and its opened destination, when it is changed or removed.</summary>
    public void Forget(string webhookId)
    {
        _pipelines.TryRemove(webhookId, out _);
        _destinations.TryRemove(webhookId, out _);
    }

    /// <summary>The stored webhook's destination: its format, URL, options, template and signing secrets.</summary>
    public NotificationDestination Destination(WebhookRecord webhook)
    {
        if (_destinations.TryGetValue(webhook.Id, out var known) && OpensAlike(known.From, webhook))
        {
            return known.Destination;
        }
        var destination = formats.Open(webhook.Format, webhook.Url, webhook.OptionsJson, webhook.Template,
            new SigningSecrets(webhook.Secret, webhook.PreviousSecret, webhook.PreviousSecretUntil));
        _destinations[webhook.Id] = (webhook, destination);
        return destination;
    }

    /// <summary>How often the webhook's service lets requests go (<see cref="NotificationFormat.Pacing"/>), or null.</summary>
    public PacingRule? Pacing(WebhookRecord webhook)
    {
        var destination = Destination(webhook);
        return destination.Format.Pacing(destination);
    }

    public Task<AttemptResult> SendAsync(WebhookRecord webhook, ClaimedDelivery delivery, CancellationToken cancellationToken)
    {
        var stored = new HubEvent(delivery.Seq, delivery.TaskId, delivery.Type, delivery.EventTimestamp, delivery.Json!.Value);
        return SendAsync(webhook, Destination(webhook), formats.Describe(stored), cancellationToken);
    }

    /// <summary>One attempt of <paramref name="notification"/> to <paramref name="destination"/>, under the webhook's breaker and timeout.</summary>
    public async Task<AttemptResult> SendAsync(WebhookRecord webhook, NotificationDestination destination, NotificationEvent notification,
        CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var pipeline = _pipelines.GetOrAdd(webhook.Id, _ => CreatePipeline());
        try
        {
            return await pipeline.ExecuteAsync(async token =>
            {
                var attempt = await notifications.SendAsync(notification, destination, token);
                return new AttemptResult(attempt.Status, attempt.Verdict, attempt.Error, attempt.Response, false, attempt.DurationMs);
            }, cancellationToken);
        }
        catch (BrokenCircuitException exception)
        {
            const string Open = "circuit open: the endpoint has been failing; delivery deferred";
            var next = time.GetUtcNow() + (exception.RetryAfter ?? _options.CircuitBreakDuration);
            return new AttemptResult(null, DeliveryVerdict.At(next, Open), Open, null, CircuitOpen: true, Elapsed(started));
        }
        catch (TimeoutRejectedException)
        {
            var error = $"no response within {_options.TimeoutSeconds} s (Webhooks:TimeoutSeconds)";
            return new AttemptResult(null, DeliveryVerdict.Transient(error), error, null, false, Elapsed(started));
        }
    }

    /// <summary>Whether two versions of a webhook open the same destination (every field <see cref="Destination"/> reads).</summary>
    private static bool OpensAlike(WebhookRecord a, WebhookRecord b) => ReferenceEquals(a, b)
        || (a.Format == b.Format && a.Url == b.Url && a.OptionsJson == b.OptionsJson && a.Template == b.Template
            && a.Secret == b.Secret && a.PreviousSecret == b.PreviousSecret && a.PreviousSecretUntil == b.PreviousSecretUntil);

    private ResiliencePipeline<AttemptResult> CreatePipeline() =>
        new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<AttemptResult>
            {
                FailureRatio = _options.CircuitFailureRatio,
                MinimumThroughput = _options.CircuitMinimumThroughput,
                SamplingDuration = _options.CircuitSamplingDuration,
                BreakDuration = _options.CircuitBreakDuration,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is TimeoutRejectedException || args.Outcome.Result is { IsEndpointFailure: true }),
            })
            .AddTimeout(TimeSpan.FromSeconds(_options.TimeoutSeconds))
            .Build();

    private double Elapsed(long started) => time.GetElapsedTime(started).TotalMilliseconds;
}
