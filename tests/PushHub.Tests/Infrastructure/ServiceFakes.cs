using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PushHub.Tests.Infrastructure;

/// <summary>A request one of the fake services received.</summary>
public sealed record FakeRequest(int Number, string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    public JsonNode Json => JsonNode.Parse(Body)!;

    /// <summary>When it arrived, on the clock the fakes were started with (the hub's fake clock in pacing tests).</summary>
    public DateTimeOffset At { get; init; }
}

/// <summary>An answer a fake gives: status, headers and body, as the real service sends them.</summary>
public sealed record FakeAnswer(int Status, string? Body = null, string ContentType = "application/json", IReadOnlyDictionary<string, string>? Headers = null)
{
    public static FakeAnswer Of(int status, string? body = null) => new(status, body, "text/plain");

    // Slack incoming webhooks answer plain-text error names.
    public static FakeAnswer SlackOk => new(200, "ok", "text/html");

    public static FakeAnswer SlackRateLimited(int seconds) =>
        new(429, "rate_limited", "text/html", new Dictionary<string, string> { ["Retry-After"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    public static FakeAnswer SlackInvalidToken => new(403, "invalid_token", "text/html");

    public static FakeAnswer SlackNoService => new(404, "no_service", "text/html");

    public static FakeAnswer SlackChannelArchived => new(410, "channel_is_archived", "text/html");

    public static FakeAnswer SlackInvalidPayload => new(400, "invalid_payload", "text/html");

    // Discord: 204 with rate-limit headers; 429 with a JSON body whose retry_after is fractional seconds.
    public static FakeAnswer DiscordOk(int remaining = 4, double resetAfter = 1) => new(204, null, "application/json", DiscordHeaders(remaining, resetAfter));

    public static FakeAnswer DiscordRateLimited(double retryAfter, bool withHeader) => new(429,
        $$"""{"message": "You are being rate limited.", "retry_after": {{retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "global": false}""",
        "application/json",
        withHeader
            ? new Dictionary<string, string>(DiscordHeaders(0, retryAfter)) { ["Retry-After"] = Math.Ceiling(retryAfter).ToString(System.Globalization.CultureInfo.InvariantCulture) }
            : DiscordHeaders(0, retryAfter));

    public static FakeAnswer DiscordUnknownWebhook => new(404, """{"message": "Unknown Webhook", "code": 10015}""");

    public static FakeAnswer DiscordBadRequest => new(400, """{"message": "Invalid Form Body", "code": 50035}""");

    // Telegram: always a JSON object with ok, and for errors error_code, description and parameters.
    public static FakeAnswer TelegramOk => new(200, """{"ok":true,"result":{"message_id":7,"date":1700000000,"chat":{"id":-100123,"type":"supergroup"},"text":"x"}}""");

    public static FakeAnswer TelegramRateLimited(int seconds) =>
        new(429, $$$"""{"ok":false,"error_code":429,"description":"Too Many Requests: retry after {{{seconds}}}","parameters":{"retry_after":{{{seconds}}}}}""");

    public static FakeAnswer TelegramChatNotFound => new(400, """{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}""");

    public static FakeAnswer TelegramBotBlocked => new(403, """{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}""");

    public static FakeAnswer TelegramUnauthorized => new(401, """{"ok":false,"error_code":401,"description":"Unauthorized"}""");

    // PagerDuty Events API v2.
    public static FakeAnswer PagerDutyAccepted => new(202, """{"status":"success","message":"Event processed","dedup_key":"build-17"}""");

    public static FakeAnswer PagerDutyInvalid => new(400,
        """{"status":"invalid event","message":"Event object is invalid","errors":["'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')"]}""");

    public static FakeAnswer PagerDutyThrottled => new(429, """{"status":"throttle exceeded","message":"Requests for this service are arriving too quickly. Please retry later."}""");

    // Power Automate Workflows.
    public static FakeAnswer TeamsAccepted => new(202, null);

    public static FakeAnswer TeamsFlowNotFound => new(404,
        """{"error":{"code":"WorkflowNotFound","message":"The workflow could not be found."}}""");

    private static IReadOnlyDictionary<string, string> DiscordHeaders(int remaining, double resetAfter) => new Dictionary<string, string>
    {
        ["X-RateLimit-Limit"] = "5",
        ["X-RateLimit-Remaining"] = remaining.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["X-RateLimit-Reset-After"] = resetAfter.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["X-RateLimit-Bucket"] = "abcd1234",
    };
}

/// <summary>
/// In-process fakes of the chat and paging services on Kestrel at 127.0.0.1:0: Slack (<c>/services/…</c>),
/// Discord (<c>/api/webhooks/…</c>), Telegram (<c>/bot…/sendMessage</c>), PagerDuty (<c>/v2/enqueue</c>) and a
/// Power Automate trigger (<c>/workflows/…</c>). Each records what it received and answers as the service does
/// when all is well; <see cref="Enqueue"/> scripts the next answers (429s, 404s, 400s …), in order.
/// </summary>
public sealed class ServiceFakes : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeProvider _clock;
    private readonly ConcurrentQueue<FakeRequest> _received = new();
    private readonly ConcurrentQueue<FakeAnswer> _script = new();
    private int _count;

    private ServiceFakes(WebApplication app, TimeProvider clock)
    {
        _app = app;
        _clock = clock;
    }

    /// <summary>The base address, such as <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    public string SlackUrl => BaseUrl + "/services/T0123ABCD/B0456EFGH/" + SlackToken;

    public string SlackToken => "xoxSecretSlackToken1234567";

    public string DiscordUrl => BaseUrl + "/api/webhooks/112233445566778899/" + DiscordToken;

    public string DiscordToken => "dIsCoRd-SeCrEt_token-abcdefghijklmnop";

    public string TelegramUrl => BaseUrl + "/bot" + TelegramToken + "/sendMessage";

    public string TelegramToken => "123456789:AAHsecretTelegramTokenXYZ-abcdefgh";

    public string PagerDutyUrl => BaseUrl + "/v2/enqueue";

    public string PagerDutyRoutingKey => "R0ut1ngKeySecret0123456789abcdef";

    public string TeamsUrl => BaseUrl + "/workflows/5f3c0ffee/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" + TeamsSig;

    public string TeamsSig => "TeamsSigSecret-0123456789abcdefXYZ";

    public IReadOnlyList<FakeRequest> Received => [.. _received.OrderBy(r => r.Number)];

    public int Count => Volatile.Read(ref _count);

    /// <summary>While set, every request that no scripted answer is left for gets this one: the service is down.</summary>
    public FakeAnswer? Outage { get; set; }

    /// <summary>Starts the fakes; <paramref name="clock"/> (the system clock unless given) stamps <see cref="FakeRequest.At"/>.</summary>
    public static async Task<ServiceFakes> StartAsync(TimeProvider? clock = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fakes = new ServiceFakes(app, clock ?? TimeProvider.System);
        app.MapPost("/{**path}", fakes.HandleAsync);
        await app.StartAsync();
        fakes.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return fakes;
    }

    /// <summary>Answers the next requests with <paramref name="answers"/>, in order; after them, the service's usual success.</summary>
    public void Enqueue(params FakeAnswer[] answers)
    {
        foreach (var answer in answers)
        {
            _script.Enqueue(answer);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        // Stamped before the count moves: a test that steps the clock once it sees the count must not see a request
        // stamped with the stepped time.
        var at = _clock.GetUtcNow();
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var number = Interlocked.Increment(ref _count);
        var path = context.Request.Path.Value + context.Request.QueryString.Value;
        _received.Enqueue(new FakeRequest(number, context.Request.Method, path, headers, body.ToArray()) { At = at });
        var answer = _script.TryDequeue(out var scripted) ? scripted : Outage ?? Usual(context.Request.Path.Value ?? "");
        context.Response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }
        if (answer.Body is not null)
        {
            context.Response.ContentType = answer.ContentType;
            await context.Response.WriteAsync(answer.Body);
        }
    }

    private static FakeAnswer Usual(string path) => path switch
    {
        _ when path.StartsWith("/services/", StringComparison.Ordinal) => FakeAnswer.SlackOk,
        _ when path.StartsWith("/api/webhooks/", StringComparison.Ordinal) => FakeAnswer.DiscordOk(),
        _ when path.StartsWith("/bot", StringComparison.Ordinal) => FakeAnswer.TelegramOk,
        "/v2/enqueue" => FakeAnswer.PagerDutyAccepted,
        _ when path.StartsWith("/workflows/", StringComparison.Ordinal) => FakeAnswer.TeamsAccepted,
        _ => FakeAnswer.Of(200),
    };

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
