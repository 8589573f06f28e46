using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PushHub.Hub;

namespace PushHub.Webhooks.Formats;

/// <summary>
/// How one kind of destination is spoken to. Two methods carry the work — <see cref="CreateMessage"/> turns an
/// event into the request (or email), <see cref="Classify"/> reads the answer — and the rest are the format's
/// facts: its options, default types, whether progress is coalesced, its pacing and what of its URL is secret.
/// The pipeline around it (outbox, retries, breaker, dead letters, replay) knows nothing of any one service.
/// </summary>
internal abstract class NotificationFormat
{
    /// <summary>The types chat, paging and email formats get when a webhook names none.</summary>
    public static readonly IReadOnlyList<string> LifecycleTypes =
        [EventTypes.Started, EventTypes.Completed, EventTypes.Failed, EventTypes.Stuck, EventTypes.Cancelled];

    protected static readonly JsonSerializerOptions JsonOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The name in the API's <c>format</c> field.</summary>
    public abstract string Name { get; }

    /// <summary>The request (or MIME message) that delivers <paramref name="notification"/> to <paramref name="destination"/>.</summary>
    /// <exception cref="TemplateRenderException">The destination's template failed on this event.</exception>
    public abstract OutgoingMessage CreateMessage(NotificationEvent notification, NotificationDestination destination, DateTimeOffset now);

    /// <summary>What to do after <paramref name="answer"/>.</summary>
    public abstract DeliveryVerdict Classify(DeliveryAnswer answer, DateTimeOffset now);

    /// <summary>The types delivered when the webhook names none; null for all types.</summary>
    public virtual IReadOnlyList<string>? DefaultTypes => LifecycleTypes;

    /// <summary>The only types this format can send, or null for any type.</summary>
    public virtual IReadOnlyList<string>? SupportedTypes => null;

    /// <summary>Whether only the newest pending <c>task.progress</c> of a task is sent.</summary>
    public virtual bool CoalescesProgress => true;

    /// <summary>Whether the format renders a <c>template</c> (standard sends the event itself).</summary>
    public virtual bool UsesTemplate => true;

    /// <summary>Whether the address is a <c>mailto:</c> URL rather than an HTTP one.</summary>
    public virtual bool IsEmail => false;

    /// <summary>The entries of <c>options</c> this format takes.</summary>
    public virtual IReadOnlyList<FormatOption> Options => [];

    /// <summary>The escaping for values a template prints.</summary>
    public abstract System.Text.Encodings.Web.TextEncoder TemplateEncoder { get; }

    /// <summary>How often requests to this destination may go, or null for no pacing of its own.</summary>
    public virtual PacingRule? Pacing(NotificationDestination destination) => null;

    /// <summary>Why <paramref name="url"/> is not a URL of this format (for the <c>url</c> error), or null when it is.</summary>
    public virtual string? CheckUrl(Uri url) => null;

    /// <summary>The address as it may be shown.</summary>
    public virtual string MaskAddress(NotificationDestination destination) => destination.Address;

    /// <summary>The texts that must never be shown: tokens in the URL, secret options.</summary>
    public virtual IEnumerable<string> SecretParts(NotificationDestination destination) =>
        Options.Where(o => o.Secret).Select(o => destination.Option(o.Name)).OfType<string>();

    /// <summary>The text a message carries: the template's rendering, or the format's default.</summary>
    protected static string Text(NotificationEvent notification, NotificationDestination destination, Func<NotificationEvent, string> fallback) =>
        destination.Template is { } template ? template.Render(notification, destination.Format.TemplateEncoder) : fallback(notification);

    /// <summary>A JSON POST to the destination's URL.</summary>
    protected static HttpOutgoing PostJson(NotificationDestination destination, object body)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, JsonOptions));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        var request = new HttpRequestMessage(HttpMethod.Post, destination.Url) { Content = content };
        request.Headers.TryAddWithoutValidation("User-Agent", StandardFormat.UserAgent);
        return new HttpOutgoing(request);
    }

    /// <summary>
    /// The reading most HTTP services share: 2xx delivered; 429 with <c>Retry-After</c> deferred to then (a 429
    /// without one retries on the schedule, so a service that never says when cannot hold a delivery forever);
    /// no answer, 408 and 5xx transient (with a 503's <c>Retry-After</c> as the earliest retry);
    /// <paramref name="disable"/> statuses disable; other 4xx permanent unless <paramref name="otherClientErrorsRetry"/>.
    /// </summary>
    protected static DeliveryVerdict ClassifyHttp(DeliveryAnswer answer, DateTimeOffset now, IReadOnlyCollection<int> disable, bool otherClientErrorsRetry = false)
    {
        var reason = answer.Describe();
        return answer.Status switch
        {
            null => DeliveryVerdict.Transient(reason),
            >= 200 and < 300 => DeliveryVerdict.Delivered,
            429 when answer.RetryAfter(now) is { } delay => DeliveryVerdict.At(now + delay, reason),
            503 when answer.RetryAfter(now) is { } delay => new DeliveryVerdict(VerdictKind.Transient, reason, now + delay),
            var status when disable.Contains(status.Value) => DeliveryVerdict.Disable(reason),
            >= 400 and < 500 and not (408 or 429) when !otherClientErrorsRetry => DeliveryVerdict.Permanent(reason),
            _ => DeliveryVerdict.Transient(reason),
        };
    }

    /// <summary>A pacing key that holds no secret in clear: the format's name and a hash of what identifies the destination.</summary>
    protected PacingRule Rule(string identity, TimeSpan interval) =>
        new(Name + ":" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..32], interval);
}

/// <summary>Requests to one <see cref="Key"/> go at most once per <see cref="Interval"/> (zero: only as the service's own headers say).</summary>
internal sealed record PacingRule(string Key, TimeSpan Interval);
