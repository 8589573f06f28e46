using System.Text.Json;
using System.Text.Json.Serialization;

namespace PushHub.Storage.Redis;

/// <summary>
/// The JSON the webhook store keeps in Redis, shared with its Lua scripts (which read and write the same short
/// names): webhooks as <see cref="WebhookRecord"/> itself, deliveries, attempt lines and dead letters as below.
/// </summary>
internal static class RedisOutboxJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string Serialize(WebhookRecord webhook) => JsonSerializer.Serialize(webhook, Options);

    public static WebhookRecord Webhook(string json) =>
        JsonSerializer.Deserialize<WebhookRecord>(json, Options) ?? throw new InvalidDataException("A stored webhook is null.");

    public static T Read<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new InvalidDataException($"A stored {typeof(T).Name} is null.");

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);
}

/// <summary>A pending delivery (<c>P"obd:"id</c> field <c>seq</c>); the append step writes the first eight fields.</summary>
internal sealed record RedisDelivery
{
    [JsonPropertyName("task")] public string Task { get; init; } = "";
    [JsonPropertyName("type")] public string Type { get; init; } = "";
    [JsonPropertyName("attempts")] public int Attempts { get; init; }
    [JsonPropertyName("event_at")] public long EventAt { get; init; }
    [JsonPropertyName("lease")] public string? Lease { get; init; }
    [JsonPropertyName("lease_until")] public long? LeaseUntil { get; init; }
    /// <summary>The delivery's own copy of the event; null reads the event log.</summary>
    [JsonPropertyName("json")] public string? Json { get; init; }
    /// <summary>Handed to the fallback already.</summary>
    [JsonPropertyName("fb")] public bool HandedToFallback { get; init; }
    /// <summary>The next attempt, before any lease (missing: the event's time).</summary>
    [JsonPropertyName("next")] public long? Next { get; init; }
    [JsonPropertyName("status")] public int? LastStatus { get; init; }
    [JsonPropertyName("from")] public string? FallbackFrom { get; init; }
}

/// <summary>A line of the attempt log (<c>P"att:"id</c>).</summary>
internal sealed record RedisAttempt
{
    [JsonPropertyName("w")] public string WebhookId { get; init; } = "";
    [JsonPropertyName("seq")] public long Seq { get; init; }
    [JsonPropertyName("n")] public int Attempt { get; init; }
    [JsonPropertyName("o")] public string Outcome { get; init; } = "";
    [JsonPropertyName("s")] public int? Status { get; init; }
    [JsonPropertyName("ms")] public double DurationMs { get; init; }
    [JsonPropertyName("e")] public string? Error { get; init; }
    [JsonPropertyName("r")] public string? Response { get; init; }
    [JsonPropertyName("at")] public long AttemptedAt { get; init; }
    [JsonPropertyName("next")] public long? NextAttemptAt { get; init; }

    public static RedisAttempt From(DeliveryAttemptRecord a) => new()
    {
        WebhookId = a.WebhookId,
        Seq = a.Seq,
        Attempt = a.Attempt,
        Outcome = a.Outcome,
        Status = a.Status,
        DurationMs = a.DurationMs,
        Error = a.Error,
        Response = a.Response,
        AttemptedAt = a.AttemptedAt.ToUnixTimeMilliseconds(),
        NextAttemptAt = a.NextAttemptAt?.ToUnixTimeMilliseconds(),
    };

    public DeliveryAttemptRecord ToRecord() => new(WebhookId, Seq, Attempt, Outcome, Status, DurationMs, Error, Response,
        DateTimeOffset.FromUnixTimeMilliseconds(AttemptedAt),
        NextAttemptAt is { } next ? DateTimeOffset.FromUnixTimeMilliseconds(next) : null);
}

/// <summary>A dead letter (<c>P"dl"</c> field <c>id</c>), with its own copy of the event and its fallback bookkeeping.</summary>
internal sealed record RedisDeadLetter
{
    [JsonPropertyName("id")] public long Id { get; init; }
    [JsonPropertyName("w")] public string WebhookId { get; init; } = "";
    [JsonPropertyName("seq")] public long Seq { get; init; }
    [JsonPropertyName("task")] public string Task { get; init; } = "";
    [JsonPropertyName("type")] public string Type { get; init; } = "";
    [JsonPropertyName("reason")] public string Reason { get; init; } = "";
    [JsonPropertyName("attempts")] public int Attempts { get; init; }
    [JsonPropertyName("status")] public int? LastStatus { get; init; }
    [JsonPropertyName("at")] public long CreatedAt { get; init; }

    public DeadLetterRecord ToRecord() =>
        new(Id, WebhookId, Seq, Task, Type, Reason, Attempts, LastStatus, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
}
