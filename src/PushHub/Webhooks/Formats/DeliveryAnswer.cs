using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace PushHub.Webhooks.Formats;

/// <summary>
/// What came back from one attempt, in a form every format can read: an HTTP status (or an SMTP reply code), the
/// response headers, and the start of the body. <see cref="Status"/> is null when no answer arrived at all
/// (<see cref="TransportError"/> says why: refused, reset, timed out).
/// </summary>
internal sealed class DeliveryAnswer
{
    /// <summary>How much of a response body is kept: enough for every service's error JSON, and the attempt log's excerpt.</summary>
    public const int MaxBodyBytes = 1024;

    private static readonly IReadOnlyDictionary<string, string> s_noHeaders = new Dictionary<string, string>();

    public DeliveryAnswer(int? status, string? body, IReadOnlyDictionary<string, string>? headers = null, string? transportError = null)
    {
        Status = status;
        Body = body;
        Headers = headers ?? s_noHeaders;
        TransportError = transportError;
    }

    public int? Status { get; }

    /// <summary>The first <see cref="MaxBodyBytes"/> of the body (UTF-8), or the SMTP server's reply text.</summary>
    public string? Body { get; }

    /// <summary>Response headers, names case-insensitive, several values joined with ", ".</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    public string? TransportError { get; }

    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>An answer that never came: connection refused, reset, DNS failure, timeout.</summary>
    public static DeliveryAnswer NoAnswer(string error) => new(null, null, null, error);

    /// <summary>A failed request's message and its cause's, for the attempt log.</summary>
    public static string DescribeFailure(HttpRequestException exception)
    {
        var inner = exception.InnerException is { } cause && cause.Message != exception.Message ? ": " + cause.Message : "";
        return exception.Message + inner;
    }

    /// <summary>Reads the status, headers and the start of the body of <paramref name="response"/>.</summary>
    public static async Task<DeliveryAnswer> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.NonValidated)
        {
            headers[name] = values.ToString();
        }
        foreach (var (name, values) in response.Content.Headers.NonValidated)
        {
            headers[name] = values.ToString();
        }
        return new DeliveryAnswer((int)response.StatusCode, await ReadStartAsync(response, cancellationToken), headers);
    }

    /// <summary>The first <see cref="MaxBodyBytes"/> of a response body as text, or null when it is empty.</summary>
    public static async Task<string?> ReadStartAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength == 0)
        {
            return null; // a 204, say: nothing to read, and no buffer for it
        }
        var buffer = ArrayPool<byte>.Shared.Rent(MaxBodyBytes);
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var read = await stream.ReadAtLeastAsync(buffer.AsMemory(0, MaxBodyBytes), MaxBodyBytes, throwOnEndOfStream: false, cancellationToken);
            return read == 0 ? null : Encoding.UTF8.GetString(buffer, 0, read);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>
    /// <c>Retry-After</c> as a delay: delta-seconds (fractions allowed, as Discord sends) or an HTTP date
    /// (RFC 9110 10.2.3), clamped to 0 … 1 day. Null when absent or unreadable.
    /// </summary>
    public TimeSpan? RetryAfter(DateTimeOffset now)
    {
        if (Header("Retry-After") is not { } value)
        {
            return null;
        }
        if (double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return ClampDelay(seconds);
        }
        return RetryConditionHeaderValue.TryParse(value, out var parsed) && parsed.Date is { } date ? Clamp(date - now) : null;
    }

    /// <summary>A delay in seconds from a service's body or header, within 0 … 1 day; null for NaN or junk.</summary>
    public static TimeSpan? ClampDelay(double seconds) =>
        double.IsFinite(seconds) ? Clamp(TimeSpan.FromSeconds(Math.Clamp(seconds, 0, TimeSpan.FromDays(1).TotalSeconds))) : null;

    private static TimeSpan Clamp(TimeSpan delay) => TimeSpan.FromTicks(Math.Clamp(delay.Ticks, 0, TimeSpan.FromDays(1).Ticks));

    /// <summary>"answered 404: {body start}" for the attempt log; the caller masks secrets in it.</summary>
    public string Describe()
    {
        if (Status is not { } status)
        {
            return TransportError ?? "no answer";
        }
        var body = Body is { Length: > 0 } text ? ": " + Shorten(text, 200) : "";
        return $"answered {status.ToString(CultureInfo.InvariantCulture)}{body}";
    }

    private static string Shorten(string text, int max)
    {
        var flat = text.ReplaceLineEndings(" ").Trim();
        return flat.Length <= max ? flat : TextLimit.Truncate(flat, max, TextMarkup.Plain);
    }
}
