using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using PushHub.Http;
using PushHub.Hub;
using PushHub.Observability;
using PushHub.Security;
using PushHub.Storage;

namespace PushHub.Events;

/// <summary><c>POST /events</c> (publish) and <c>GET /events</c> (poll and long-poll).</summary>
public static class EventEndpoints
{
    /// <summary>The poll endpoint's name (its OpenAPI operation id; the connection handler tags its polls' metrics by it).</summary>
    public const string PollName = "PollEvents";

    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = 64 };

    public static RouteGroupBuilder MapEvents(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/events").WithTags("Events");
        group.MapPost("", PublishAsync).WithName("PublishEvents")
            .WithSummary("Publish one event, or an array of 1 to 1000 stored atomically")
            .WithDescription("Answers 202 once durably committed (200 for an idempotent retry). An Idempotency-Key header applies to a single event; in an array give each item an idempotency_key.")
            .Accepts<OpenApiDocs.PublishDoc>("application/json")
            .Produces<OpenApiDocs.EventDoc>(StatusCodes.Status202Accepted)
            .Produces<OpenApiDocs.EventListDoc>(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireAuthorization(HubPolicies.Publisher).RequireRateLimiting(PublishRateLimitPolicy.Name);
        group.MapGet("", PollAsync).WithName(PollName)
            .WithSummary("Poll events after a seq, optionally long-polling until one matches")
            .WithQuery(
                ("after", JsonSchemaType.Integer, "Return events with a seq above this (default 0).", false),
                ("task", JsonSchemaType.String, "Only these tasks (repeatable).", true),
                ("type", JsonSchemaType.String, "Only these event types (repeatable).", true),
                ("limit", JsonSchemaType.Integer, "1 to 1000, default 100.", false),
                ("wait", JsonSchemaType.Integer, "0 to 60 seconds to wait for a matching event.", false))
            .Produces<OpenApiDocs.PollDoc>()
            .ProducesValidationProblem()
            .RequireAuthorization(HubPolicies.Subscriber);
        return group;
    }

    private static async Task<IResult> PublishAsync(HttpContext context, EventHub hub, EventValidator validator, IOptions<LimitsOptions> options,
        TaskAccess access, PushHubMetrics metrics)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var limits = options.Value;
        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            return Problems.Status(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"Send the event as JSON with Content-Type: application/json (got '{request.ContentType ?? "none"}').");
        }
        if (request.ContentLength > limits.MaxRequestBytes)
        {
            return BodyTooLarge(limits);
        }

        using var body = await ReadBodyAsync(context, limits.MaxRequestBytes);
        if (body is null)
        {
            return BodyTooLarge(limits);
        }

        if (!IsUtf8(body.Sequence))
        {
            return Problems.Validation("body", "is not valid UTF-8; send JSON encoded as UTF-8");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.Sequence, s_documentOptions);
        }
        catch (JsonException exception)
        {
            return Problems.Validation("body", $"is not valid JSON: {exception.Message}");
        }

        using (document)
        {
            var errors = new ValidationErrors();
            var headerKey = ReadIdempotencyHeader(request, errors);
            var root = document.RootElement;
            var inputs = new List<EventInput>();
            var isBatch = root.ValueKind == JsonValueKind.Array;
            if (isBatch)
            {
                var count = root.GetArrayLength();
                if (count == 0)
                {
                    return Problems.Validation("body", "is an empty array; send 1 to 1000 events");
                }
                if (count > limits.MaxBatchEvents)
                {
                    return Problems.TooLarge("body", $"holds {count} events; send at most {limits.MaxBatchEvents} in one request");
                }
                if (headerKey is not null)
                {
                    errors.Add("Idempotency-Key", "applies to a single event; in an array give each event its own idempotency_key");
                }
                var index = 0;
                foreach (var item in root.EnumerateArray())
                {
                    if (validator.Validate(item, $"[{index++}].", errors) is { } input)
                    {
                        inputs.Add(input);
                    }
                }
            }
            else if (validator.Validate(root, "", errors) is { } input)
            {
                if (headerKey is not null && input.IdempotencyKey is { } fieldKey && fieldKey != headerKey)
                {
                    errors.Add("idempotency_key", "differs from the Idempotency-Key header; send one of them");
                }
                inputs.Add(headerKey is null ? input : input with { IdempotencyKey = headerKey });
            }
            if (errors.Count > 0)
            {
                return Problems.Validation(errors);
            }
            // Plain loops, not LINQ: a lambda capturing access and context, and enumerators over the outcomes, were
            // allocations on every publish.
            var user = context.User;
            foreach (var input in inputs)
            {
                if (!access.CanPublish(user, input.TaskId))
                {
                    return AccessProblems.TaskForbidden("publish to", input.TaskId);
                }
            }

            IReadOnlyList<AppendOutcome> outcomes;
            try
            {
                outcomes = await hub.PublishAsync(inputs, CancellationToken.None);
            }
            catch (ReplicationTimeoutException exception)
            {
                // Stored on the primary, not yet on enough replicas: not acknowledged. A retry with the same
                // idempotency keys answers the stored originals, so retrying is safe.
                context.Response.Headers.RetryAfter = "1";
                return Problems.Status(StatusCodes.Status503ServiceUnavailable, "Not replicated in time",
                    exception.Message + " Retry with the same idempotency keys.");
            }
            var created = 0;
            for (var i = 0; i < outcomes.Count; i++)
            {
                if (outcomes[i].Created)
                {
                    created++;
                }
            }
            metrics.Published(created, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            var status = created > 0 ? StatusCodes.Status202Accepted : StatusCodes.Status200OK;
            if (!isBatch)
            {
                return EventsJsonResult.One(status, outcomes[0].Event);
            }
            var events = new List<HubEvent>(outcomes.Count);
            for (var i = 0; i < outcomes.Count; i++)
            {
                events.Add(outcomes[i].Event);
            }
            return EventsJsonResult.Many(status, events);
        }
    }

    private static async Task<IResult> PollAsync(HttpContext context, EventHub hub, TaskAccess access, IHostApplicationLifetime lifetime)
    {
        if (PollRequest.Read(context.Request.Query, out var errors) is not { } poll)
        {
            return Problems.Validation(errors);
        }
        if (access.AuthorizeRead(context.User, poll.Filter.Tasks, "A poll without task=") is { } forbidden)
        {
            return forbidden;
        }

        var result = await hub.PollAsync(poll.After, poll.Filter, poll.Limit, poll.Wait, context.RequestAborted,
            stopWaiting: lifetime.ApplicationStopping);
        return EventsJsonResult.Many(StatusCodes.Status200OK, result.Events, writer =>
        {
            writer.WriteNumber("last_seq"u8, result.LastSeq);
            writer.WriteBoolean("truncated"u8, result.Truncated);
        });
    }

    private static string? ReadIdempotencyHeader(HttpRequest request, ValidationErrors errors)
    {
        if (!request.Headers.TryGetValue("Idempotency-Key", out var values))
        {
            return null;
        }
        if (values.Count != 1 || values[0] is not { } key || !EventValidator.IsValidIdempotencyKey(key))
        {
            errors.Add("Idempotency-Key", "must be given once, as 1 to 255 printable ASCII characters");
            return null;
        }
        return key;
    }

    private static bool IsUtf8(ReadOnlySequence<byte> sequence) =>
        // A multi-byte character may straddle two segments: check a multi-segment body as one span.
        System.Text.Unicode.Utf8.IsValid(sequence.IsSingleSegment ? sequence.FirstSpan : sequence.ToArray());

    private static IResult BodyTooLarge(LimitsOptions limits) =>
        Problems.TooLarge("body", $"is larger than {limits.MaxRequestBytes} bytes (Limits:MaxRequestBytes); split it into smaller batches");

    /// <summary>Reads the whole body, or answers null when it is larger than <paramref name="maxBytes"/>.</summary>
    private static async Task<BodyBuffer?> ReadBodyAsync(HttpContext context, long maxBytes)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            // Our own limit applies; Kestrel's default (30 MB) must not cut in first with a plain 413.
            sizeFeature.MaxRequestBodySize = maxBytes + 1;
        }
        var reader = context.Request.BodyReader;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(context.RequestAborted);
                if (read.Buffer.Length > maxBytes)
                {
                    reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                    return null;
                }
                if (read.IsCompleted)
                {
                    return new BodyBuffer(reader, read.Buffer);
                }
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
    }

    /// <summary>The request body held in the pipe's own buffers until disposed: no copy.</summary>
    private sealed class BodyBuffer(PipeReader reader, ReadOnlySequence<byte> sequence) : IDisposable
    {
        public ReadOnlySequence<byte> Sequence { get; } = sequence;

        public void Dispose() => reader.AdvanceTo(Sequence.End);
    }
}
