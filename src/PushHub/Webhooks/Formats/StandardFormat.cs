using System.Globalization;
using System.Net.Http.Headers;
using System.Reflection;

namespace PushHub.Webhooks.Formats;

/// <summary>
/// The default format: the event JSON byte for byte as stored, signed with <c>X-Webhook-Signature</c> and the
/// Standard Webhooks headers (DESIGN "Webhooks"). All types by default, no coalescing, no template.
/// </summary>
internal sealed class StandardFormat : NotificationFormat
{
    public const string FormatName = "standard";

    /// <summary><c>PushHub/&lt;version&gt;</c>, sent on every delivery.</summary>
    public static readonly string UserAgent = "PushHub/" + Version();

    private static readonly int[] s_disable = [410];

    public override string Name => FormatName;

    public override IReadOnlyList<string>? DefaultTypes => null;

    public override bool CoalescesProgress => false;

    public override bool UsesTemplate => false;

    public override System.Text.Encodings.Web.TextEncoder TemplateEncoder => Fluid.NullEncoder.Default;

    public override OutgoingMessage CreateMessage(NotificationEvent notification, NotificationDestination destination, DateTimeOffset now)
    {
        var stored = notification.Stored;
        var signing = destination.Signing ?? throw new InvalidOperationException("a standard destination needs its signing secret");
        return new HttpOutgoing(CreateSignedRequest(destination.Url!, signing, stored.Seq, stored.TaskId, stored.Type, stored.Json, now));
    }

    /// <summary>2xx delivered, 410 disables, 429 with <c>Retry-After</c> deferred; every other failure retries.</summary>
    public override DeliveryVerdict Classify(DeliveryAnswer answer, DateTimeOffset now) =>
        ClassifyHttp(answer, now, s_disable, otherClientErrorsRetry: true);

    /// <summary>Standard URLs carry no token of ours, but a receiver's own key may sit in the query: values there are masked.</summary>
    public override string MaskAddress(NotificationDestination destination) =>
        UrlMask.Mask(destination.Url!, (_, _, segment) => segment, _ => true);

    public override IEnumerable<string> SecretParts(NotificationDestination destination) =>
        UrlMask.QueryValues(destination.Url!, _ => true)
            .Concat(destination.Signing is { } signing ? [signing.Secret, signing.PreviousSecret ?? ""] : []);

    /// <summary>
    /// The signed delivery: <c>POST url</c> with the stored bytes and <c>User-Agent</c>, <c>X-Task-ID</c>,
    /// <c>X-Event-Type</c>, <c>X-Webhook-Signature</c>, <c>webhook-id</c>, <c>webhook-timestamp</c> and
    /// <c>webhook-signature</c> (two signatures while a rotated-out secret is still in its grace period).
    /// </summary>
    public static HttpRequestMessage CreateSignedRequest(Uri url, SigningSecrets signing, long seq, string taskId, string type, ReadOnlyMemory<byte> body, DateTimeOffset now)
    {
        var id = WebhookSigner.MessageId(seq);
        var timestamp = now.ToUnixTimeSeconds();
        var key = signing.Key;
        var signature = WebhookSigner.StandardSignature(key, id, timestamp, body.Span);
        if (signing.PreviousKey is { } previous && signing.PreviousUntil > now)
        {
            signature += " " + WebhookSigner.StandardSignature(previous, id, timestamp, body.Span);
        }
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        var headers = request.Headers;
        headers.TryAddWithoutValidation("User-Agent", UserAgent);
        headers.TryAddWithoutValidation("X-Task-ID", taskId);
        headers.TryAddWithoutValidation("X-Event-Type", type);
        headers.TryAddWithoutValidation("X-Webhook-Signature", WebhookSigner.BodySignature(key, body.Span));
        headers.TryAddWithoutValidation("webhook-id", id);
        headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        headers.TryAddWithoutValidation("webhook-signature", signature);
        return request;
    }

    private static string Version()
    {
        var assembly = typeof(StandardFormat).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        return informational?.Split('+')[0] ?? assembly.GetName().Version?.ToString(3) ?? "0";
    }
}
