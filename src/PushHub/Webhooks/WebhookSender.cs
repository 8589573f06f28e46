using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using PushHub.Storage;
using PushHub.Webhooks.Formats;

namespace PushHub.Webhooks;

/// <summary>What one attempt came to. <see cref="Status"/> is null when no response arrived.</summary>
internal sealed record AttemptResult(int? Status, string? Error, string? Response, TimeSpan? RetryAfter, bool CircuitOpen, double DurationMs)
{
    public bool Succeeded => Status is >= 200 and < 300;

    /// <summary>What counts against an endpoint's circuit: no answer, a timeout, a 5xx, 408 or 429.</summary>
    public bool IsEndpointFailure => Status is null or >= 500 or 408 or 429;
}

/// <summary>
/// Makes one signed delivery attempt through the endpoint's Polly pipeline: a circuit breaker (per endpoint)
/// around a timeout (per attempt). Retries are not Polly's: they are durable, scheduled by the dispatcher.
/// </summary>
internal sealed class WebhookSender(IHttpClientFactory clients, IOptions<WebhookOptions> options, TimeProvider time)
{
    /// <summary>The named <see cref="HttpClient"/> for deliveries (no redirects, SSRF-vetted connections).</summary>
    public const string ClientName = "PushHub.Webhooks";

    private readonly WebhookOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, ResiliencePipeline<AttemptResult>> _pipelines = new(StringComparer.Ordinal);

    /// <summary>Drops an endpoint's pipeline (and circuit state), when it is changed or removed.</summary>
    public void Forget(string webhookId) => _pipelines.TryRemove(webhookId, out _);

    public async Task<AttemptResult> SendAsync(WebhookRecord webhook, ClaimedDelivery delivery, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var pipeline = _pipelines.GetOrAdd(webhook.Id, _ => CreatePipeline());
        try
        {
            return await pipeline.ExecuteAsync(token => SendOnceAsync(webhook, delivery, started, token), cancellationToken);
        }
        catch (BrokenCircuitException exception)
        {
            return new AttemptResult(null, "circuit open: the endpoint has been failing; delivery deferred", null,
                exception.RetryAfter ?? _options.CircuitBreakDuration, CircuitOpen: true, Elapsed(started));
        }
        catch (TimeoutRejectedException)
        {
            return new AttemptResult(null, $"no response within {_options.TimeoutSeconds} s (Webhooks:TimeoutSeconds)", null, null, false, Elapsed(started));
        }
    }

    private async ValueTask<AttemptResult> SendOnceAsync(WebhookRecord webhook, ClaimedDelivery delivery, long started, CancellationToken cancellationToken)
    {
        using var request = CreateRequest(webhook, delivery);
        try
        {
            using var response = await clients.CreateClient(ClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var body = await DeliveryAnswer.ReadStartAsync(response, cancellationToken);
            var status = (int)response.StatusCode;
            var error = status is >= 200 and < 300 ? null
                : status is >= 300 and < 400 ? $"answered {status} redirect to {response.Headers.Location}; redirects are not followed"
                : $"answered {status}";
            return new AttemptResult(status, error, body, RetryAfter(response), false, Elapsed(started));
        }
        catch (HttpRequestException exception)
        {
            return new AttemptResult(null, Describe(exception), null, null, false, Elapsed(started));
        }
    }

    private HttpRequestMessage CreateRequest(WebhookRecord webhook, ClaimedDelivery delivery)
    {
        var now = time.GetUtcNow();
        var signing = new SigningSecrets(webhook.Secret, webhook.PreviousSecret, webhook.PreviousSecretUntil);
        return StandardFormat.CreateSignedRequest(new Uri(webhook.Url), signing, delivery.Seq, delivery.TaskId, delivery.Type, delivery.Json!.Value, now);
    }

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

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.StatusCode is not (System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.ServiceUnavailable)
            || response.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }
        var delay = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - time.GetUtcNow() : null);
        return delay is { } value ? TimeSpan.FromTicks(Math.Clamp(value.Ticks, 0, TimeSpan.FromDays(1).Ticks)) : null;
    }

    private double Elapsed(long started) => time.GetElapsedTime(started).TotalMilliseconds;

    private static string Describe(HttpRequestException exception) => DeliveryAnswer.DescribeFailure(exception);
}
