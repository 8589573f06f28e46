namespace PushHub.Webhooks;

internal sealed partial class WebhookDispatcher
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook dispatcher started with {Count} enabled webhooks")]
    private static partial void LogStarted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "The webhook dispatch loop failed; it carries on")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording a delivery attempt of seq {Seq} to webhook {WebhookId} failed; it will be attempted again once its claim ends")]
    private static partial void LogAttemptFailed(ILogger logger, Exception exception, string webhookId, long seq);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Delivered seq {Seq} to webhook {WebhookId} on attempt {Attempt}: {Status}")]
    private static partial void LogDelivered(ILogger logger, string webhookId, long seq, int attempt, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId} attempt {Attempt} for seq {Seq} failed ({Error}); next attempt at {NextAttempt:o}")]
    private static partial void LogRetrying(ILogger logger, string webhookId, long seq, int attempt, string? error, DateTimeOffset nextAttempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId} seq {Seq} deferred to {NextAttempt:o} ({Reason})")]
    private static partial void LogDeferred(ILogger logger, string webhookId, long seq, DateTimeOffset nextAttempt, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId} disabled at seq {Seq} ({Reason}); its pending deliveries dead-lettered")]
    private static partial void LogDisabled(ILogger logger, string webhookId, long seq, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook {WebhookId} seq {Seq} is a dead letter after {Attempts} attempts; last: {Error}")]
    private static partial void LogDeadLettered(ILogger logger, string webhookId, long seq, int attempts, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Giving back the claim on seq {Seq} for webhook {WebhookId} failed; it is sent again once its lease ends")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string webhookId, long seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The claim on seq {Seq} for webhook {WebhookId} ended before its attempt was recorded (its lease ran out, " +
        "or the webhook changed); the attempt was not recorded")]
    private static partial void LogClaimLost(ILogger logger, string webhookId, long seq);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handed {Count} overdue deliveries to their fallback webhooks")]
    private static partial void LogHandedToFallback(ILogger logger, int count);
}
