using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Webhooks;

/// <summary>A hub on a fake clock with private networks allowed, a loopback receiver (disposed with the harness unless
/// passed in), and helpers to drive retries.</summary>
public sealed class WebhookHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    private readonly bool _ownsReceiver;

    private WebhookHarness(HubFactory hub, FakeTimeProvider time, WebhookReceiver receiver, bool ownsReceiver)
    {
        _ownsReceiver = ownsReceiver;
        Hub = hub;
        Time = time;
        Receiver = receiver;
        Client = hub.CreateClient();
    }

    public HubFactory Hub { get; }
    public FakeTimeProvider Time { get; }
    public WebhookReceiver Receiver { get; }
    public HttpClient Client { get; }

    public static async Task<WebhookHarness> StartAsync(IDictionary<string, string?>? settings = null, FakeTimeProvider? time = null,
        string? dataDirectory = null, WebhookReceiver? receiver = null)
    {
        var all = new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        time ??= new FakeTimeProvider(Start);
        var ownsReceiver = receiver is null;
        receiver ??= await WebhookReceiver.StartAsync();
        return new WebhookHarness(new HubFactory(all, time, dataDirectory), time, receiver, ownsReceiver);
    }

    /// <summary>Registers the receiver; answers the webhook's id and secret.</summary>
    public async Task<(string Id, string Secret)> RegisterAsync(string? extraJson = null)
    {
        var body = $$"""{"url":"{{Receiver.Url}}"{{(extraJson is null ? "" : "," + extraJson)}}}""";
        using var response = await Client.PostAsync("/webhooks", HubClient.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"expected 201, got {(int)response.StatusCode}: {text}");
        var node = JsonNode.Parse(text)!;
        return (node["id"]!.GetValue<string>(), node["secret"]!.GetValue<string>());
    }

    public async Task<JsonArray> AttemptsAsync(string webhookId)
    {
        var text = await Client.GetStringAsync($"/webhooks/{webhookId}/deliveries");
        return JsonNode.Parse(text)!["deliveries"]!.AsArray();
    }

    public async Task<JsonArray> DeadLettersAsync(string webhookId)
    {
        var text = await Client.GetStringAsync($"/dead-letters?webhook_id={webhookId}");
        return JsonNode.Parse(text)!["dead_letters"]!.AsArray();
    }

    /// <summary>Waits until the attempt log has <paramref name="count"/> lines.</summary>
    public async Task<JsonArray> WaitForAttemptsAsync(string webhookId, int count)
    {
        JsonArray attempts = [];
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((attempts = await AttemptsAsync(webhookId)).Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline,
                $"timed out waiting for {count} attempts; have {attempts.Count}, the clock at {Time.GetUtcNow():o}; the log: {attempts.ToJsonString()}; the hub's warnings:{Environment.NewLine}{Hub.Warnings}");
            await Task.Delay(20);
        }
        return attempts;
    }

    /// <summary>Moves the fake clock to the newest attempt's next_attempt_at, and answers that time.</summary>
    public async Task<DateTimeOffset> AdvanceToNextAttemptAsync(string webhookId)
    {
        var latest = (await AttemptsAsync(webhookId))[0]!;
        var next = DateTimeOffset.Parse(latest["next_attempt_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var now = Time.GetUtcNow();
        if (next > now)
        {
            Time.Advance(next - now);
        }
        return next;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Hub.DisposeAsync();
        if (_ownsReceiver)
        {
            await Receiver.DisposeAsync();
        }
    }
}
