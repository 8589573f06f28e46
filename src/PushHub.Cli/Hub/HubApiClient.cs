using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace PushHub.Cli.Hub;

/// <summary>
/// The hub's HTTP API, typed: one method per endpoint the commands use. Failures come out as
/// <see cref="HubRequestException"/> (the hub said no) or <see cref="HubUnreachableException"/> (no answer).
/// </summary>
public sealed class HubApiClient(HttpClient http) : IDisposable
{
    /// <summary>snake_case, as every body of the hub.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>The hub this client talks to.</summary>
    public Uri BaseAddress => http.BaseAddress!;

    /// <summary>Creates a client for <paramref name="baseAddress"/> that sends <paramref name="key"/> as a bearer token.</summary>
    public static HubApiClient Create(HttpMessageHandler handler, Uri baseAddress, string? key)
    {
        // Streams and long-polls set their own bounds: the client-wide timeout would cut a tail after 100 s.
        var http = new HttpClient(handler, disposeHandler: true) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("pushhub-cli", typeof(HubApiClient).Assembly.GetName().Version?.ToString(3)));
        if (!string.IsNullOrEmpty(key))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return new HubApiClient(http);
    }

    public Task<HubReply<HubEvent>> PublishAsync(string eventJson, string? idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync<HubEvent>(HttpMethod.Post, "events", eventJson, cancellationToken,
            request => { if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey); });

    public Task<HubReply<EventList>> PublishBatchAsync(string arrayJson, CancellationToken cancellationToken) =>
        SendAsync<EventList>(HttpMethod.Post, "events", arrayJson, cancellationToken);

    public Task<HubReply<PollPage>> PollAsync(QueryString query, CancellationToken cancellationToken) =>
        SendAsync<PollPage>(HttpMethod.Get, "events" + query, null, cancellationToken);

    public Task<HubReply<TaskList>> ListTasksAsync(QueryString query, CancellationToken cancellationToken) =>
        SendAsync<TaskList>(HttpMethod.Get, "tasks" + query, null, cancellationToken);

    public Task<HubReply<TaskSnapshot>> GetTaskAsync(string id, CancellationToken cancellationToken) =>
        SendAsync<TaskSnapshot>(HttpMethod.Get, "tasks/" + Uri.EscapeDataString(id), null, cancellationToken);

    public Task<HubReply<HubStats>> GetStatsAsync(CancellationToken cancellationToken) =>
        SendAsync<HubStats>(HttpMethod.Get, "stats", null, cancellationToken);

    public Task<HubReply<Webhook>> CreateWebhookAsync(string bodyJson, CancellationToken cancellationToken) =>
        SendAsync<Webhook>(HttpMethod.Post, "webhooks", bodyJson, cancellationToken);

    public Task<HubReply<Webhook>> UpdateWebhookAsync(string id, string bodyJson, CancellationToken cancellationToken) =>
        SendAsync<Webhook>(HttpMethod.Patch, "webhooks/" + Uri.EscapeDataString(id), bodyJson, cancellationToken);

    public Task<HubReply<Webhook>> RotateWebhookSecretAsync(string id, CancellationToken cancellationToken) =>
        SendAsync<Webhook>(HttpMethod.Post, $"webhooks/{Uri.EscapeDataString(id)}/rotate-secret", null, cancellationToken);

    public Task<HubReply<TestAttempt>> TestWebhookAsync(string id, CancellationToken cancellationToken) =>
        SendAsync<TestAttempt>(HttpMethod.Post, $"webhooks/{Uri.EscapeDataString(id)}/test", null, cancellationToken);

    public Task<HubReply<WebhookList>> ListWebhooksAsync(CancellationToken cancellationToken) =>
        SendAsync<WebhookList>(HttpMethod.Get, "webhooks", null, cancellationToken);

    public Task<HubReply<string>> DeleteWebhookAsync(string id, CancellationToken cancellationToken) =>
        SendAsync<string>(HttpMethod.Delete, "webhooks/" + Uri.EscapeDataString(id), null, cancellationToken);

    public Task<HubReply<DeliveryList>> ListDeliveriesAsync(string id, QueryString query, CancellationToken cancellationToken) =>
        SendAsync<DeliveryList>(HttpMethod.Get, $"webhooks/{Uri.EscapeDataString(id)}/deliveries{query}", null, cancellationToken);

    public Task<HubReply<ReplayResult>> ReplayWebhookAsync(string id, string bodyJson, CancellationToken cancellationToken) =>
        SendAsync<ReplayResult>(HttpMethod.Post, $"webhooks/{Uri.EscapeDataString(id)}/replay", bodyJson, cancellationToken);

    public Task<HubReply<DeadLetterList>> ListDeadLettersAsync(QueryString query, CancellationToken cancellationToken) =>
        SendAsync<DeadLetterList>(HttpMethod.Get, "dead-letters" + query, null, cancellationToken);

    public Task<HubReply<ReplayResult>> ReplayDeadLetterAsync(long id, CancellationToken cancellationToken) =>
        SendAsync<ReplayResult>(HttpMethod.Post, $"dead-letters/{id}/replay", null, cancellationToken);

    public Task<HubReply<ReplayResult>> ReplayDeadLettersAsync(string webhookId, CancellationToken cancellationToken) =>
        SendAsync<ReplayResult>(HttpMethod.Post, "dead-letters/replay",
            JsonSerializer.Serialize(new { webhook_id = webhookId }), cancellationToken);

    /// <summary>Opens <c>GET /events/sse</c> resuming after <paramref name="lastSeq"/>; the caller reads and disposes the stream.</summary>
    public async Task<HttpResponseMessage> OpenSseAsync(QueryString query, long lastSeq, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "events/sse" + query);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        // The SSE resume header: the hub replays everything after it, then goes live, without gap or duplicate.
        request.Headers.Add("Last-Event-ID", lastSeq.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var response = await SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await RejectionAsync(request, response, cancellationToken);
            }
        }
        return response;
    }

    private async Task<HubReply<T>> SendAsync<T>(HttpMethod method, string path, string? json, CancellationToken cancellationToken,
        Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        configure?.Invoke(request);
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await RejectionAsync(request, response, cancellationToken);
        }
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (typeof(T) == typeof(string))
        {
            return new HubReply<T>((T)(object)text, text, (int)response.StatusCode);
        }
        try
        {
            var value = JsonSerializer.Deserialize<T>(text, JsonOptions)
                ?? throw new JsonException("the body is null");
            return new HubReply<T>(value, text, (int)response.StatusCode);
        }
        catch (JsonException exception)
        {
            throw new HubRequestException((int)response.StatusCode,
                $"{Describe(request)} answered {(int)response.StatusCode} with a body that is not the hub's JSON ({exception.Message}); is {BaseAddress} a PushHub?");
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            throw Unreachable(BaseAddress, exception);
        }
    }

    /// <summary>The sentence for a hub that did not answer: what failed, and what to check.</summary>
    public static HubUnreachableException Unreachable(Uri baseAddress, Exception exception)
    {
        var reason = exception switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } when exception.InnerException is System.Net.Sockets.SocketException socket
                => socket.SocketErrorCode switch
                {
                    System.Net.Sockets.SocketError.ConnectionRefused => "connection refused",
                    System.Net.Sockets.SocketError.TimedOut => "connection timed out",
                    _ => socket.Message,
                },
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "the host name does not resolve",
            _ => exception.InnerException?.Message ?? exception.Message,
        };
        return new HubUnreachableException(
            $"cannot reach {baseAddress} : {reason}; is the hub running? set --url or PUSHHUB_URL", exception);
    }

    private static async Task<HubRequestException> RejectionAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var problem = ProblemText.From(body);
        var retryAfter = response.Headers.RetryAfter?.Delta is { } delta ? $" Retry after {delta.TotalSeconds:0} s." : "";
        return new HubRequestException(status,
            $"{Describe(request)} was refused with {status} {response.ReasonPhrase}: {problem ?? "the hub gave no reason."}{retryAfter}");
    }

    private static string Describe(HttpRequestMessage request) =>
        $"{request.Method} {(request.RequestUri is { IsAbsoluteUri: true } uri ? uri.AbsolutePath : "/" + request.RequestUri?.OriginalString.Split('?')[0])}";

    public void Dispose() => http.Dispose();
}
