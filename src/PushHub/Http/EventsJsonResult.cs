using System.Text.Json;
using PushHub.Hub;

namespace PushHub.Http;

/// <summary>
/// Writes stored events as they are: one event's bytes, or <c>{"events":[...], ...}</c> around them. Events are
/// never deserialized and serialized again on their way out.
/// </summary>
public sealed class EventsJsonResult : IResult, IStatusCodeHttpResult
{
    private readonly HubEvent? _single;
    private readonly IReadOnlyList<HubEvent>? _events;
    private readonly Action<Utf8JsonWriter>? _extra;

    private EventsJsonResult(int status, HubEvent? single, IReadOnlyList<HubEvent>? events, Action<Utf8JsonWriter>? extra)
    {
        StatusCode = status;
        _single = single;
        _events = events;
        _extra = extra;
    }

    public int? StatusCode { get; }

    public static EventsJsonResult One(int status, HubEvent stored) => new(status, stored, null, null);

    /// <summary><c>{"events":[...]}</c>, then whatever <paramref name="extra"/> writes (more properties).</summary>
    public static EventsJsonResult Many(int status, IReadOnlyList<HubEvent> events, Action<Utf8JsonWriter>? extra = null) =>
        new(status, null, events, extra);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode!.Value;
        response.ContentType = "application/json; charset=utf-8";
        if (_single is not null)
        {
            await response.Body.WriteAsync(_single.Json, httpContext.RequestAborted).ConfigureAwait(false);
            return;
        }
        await using var writer = new Utf8JsonWriter(response.BodyWriter, EventValidator.s_writerOptions);
        writer.WriteStartObject();
        writer.WriteStartArray("events"u8);
        foreach (var stored in _events!)
        {
            writer.WriteRawValue(stored.Json.Span, skipInputValidation: true);
        }
        writer.WriteEndArray();
        _extra?.Invoke(writer);
        writer.WriteEndObject();
        await writer.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
    }
}
