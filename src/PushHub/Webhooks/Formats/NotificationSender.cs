using System.Diagnostics;

namespace PushHub.Webhooks.Formats;

/// <summary>One attempt as the attempt log records it: every text already has the destination's secrets masked.</summary>
internal sealed record FormatAttempt(int? Status, DeliveryVerdict Verdict, string? Error, string? Response, double DurationMs);

/// <summary>
/// Makes one attempt at a destination in its format: builds the message, sends it over the SSRF-guarded webhook
/// client or SMTP, and classifies the answer. No retry, timeout or breaker here: those belong to the pipeline,
/// which wraps this call (and cancels <c>cancellationToken</c> on its timeout). What an answer says about the
/// service's rate limits is recorded in the <see cref="DeliveryPacer"/>; asking it before sending is the caller's.
/// </summary>
internal sealed class NotificationSender(IHttpClientFactory clients, IEmailTransport email, DeliveryPacer pacer, TimeProvider time)
{
    public async Task<FormatAttempt> SendAsync(NotificationEvent notification, NotificationDestination destination, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var format = destination.Format;
        OutgoingMessage message;
        try
        {
            message = format.CreateMessage(notification, destination, time.GetUtcNow());
        }
        catch (TemplateRenderException exception)
        {
            // The same template fails the same way on every retry: give up on this event at once.
            var reason = destination.Redact("template " + exception.Message)!;
            return new FormatAttempt(null, DeliveryVerdict.Permanent(reason), reason, null, Elapsed(started));
        }
        using (message)
        {
            var answer = message switch
            {
                HttpOutgoing http => await SendHttpAsync(http, cancellationToken),
                EmailOutgoing mail => await email.SendAsync(mail, cancellationToken),
                _ => throw new UnreachableException("a format made a message of an unknown kind"),
            };
            var verdict = format.Classify(answer, time.GetUtcNow());
            if (answer.Status is >= 300 and < 400 && verdict.Kind != VerdictKind.Delivered)
            {
                verdict = verdict with { Reason = $"answered {answer.Status} redirect to {answer.Header("Location")}; redirects are not followed" };
            }
            if (format.Pacing(destination) is { } rule)
            {
                pacer.Record(rule, answer, verdict);
            }
            verdict = verdict with { Reason = destination.Redact(verdict.Reason) };
            return new FormatAttempt(answer.Status, verdict, verdict.Reason, destination.Redact(answer.Body), Elapsed(started));
        }
    }

    private async Task<DeliveryAnswer> SendHttpAsync(HttpOutgoing http, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await clients.CreateClient(WebhookSender.ClientName)
                .SendAsync(http.Request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            return await DeliveryAnswer.FromResponseAsync(response, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            return DeliveryAnswer.NoAnswer(DeliveryAnswer.DescribeFailure(exception));
        }
    }

    private double Elapsed(long started) => time.GetElapsedTime(started).TotalMilliseconds;
}
