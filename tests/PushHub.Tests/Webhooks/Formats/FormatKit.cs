using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PushHub.Hub;
using PushHub.Webhooks;
using PushHub.Webhooks.Formats;

namespace PushHub.Tests.Webhooks.Formats;

/// <summary>
/// The formats as the hub registers them (AddNotificationFormats over configuration), on a fake clock, with a
/// real HTTP client for sending to the service fakes.
/// </summary>
internal sealed class FormatKit : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 23, 10, 30, 0, TimeSpan.Zero);

    private readonly ServiceProvider _services;

    public FormatKit(IDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Hub:PublicUrl"] = "https://push.example.com",
            ["Webhooks:AllowPrivateNetworks"] = "true",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<TimeProvider>(Time);
        services.AddValidatedOptions<HubOptions>(HubOptions.Section);
        services.AddValidatedOptions<WebhookOptions>(WebhookOptions.Section);
        services.AddHttpClient(WebhookSender.ClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });
        services.AddNotificationFormats();
        _services = services.BuildServiceProvider();
    }

    public FakeTimeProvider Time { get; } = new(Start);

    public NotificationFormats Formats => _services.GetRequiredService<NotificationFormats>();

    public NotificationSender Sender => _services.GetRequiredService<NotificationSender>();

    public DeliveryPacer Pacer => _services.GetRequiredService<DeliveryPacer>();

    /// <summary>A committed event as the hub stores it.</summary>
    public static HubEvent Event(string type = EventTypes.Failed, object? data = null, string taskId = "build-17", long seq = 42)
    {
        var at = Start.AddMinutes(-1);
        var json = JsonSerializer.SerializeToUtf8Bytes(new
        {
            seq,
            task_id = taskId,
            type,
            timestamp = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            data = data ?? new { },
        });
        return new HubEvent(seq, taskId, type, at, json);
    }

    /// <summary>Checks a registration the way the API will; the errors, and the destination when there are none.</summary>
    public (NotificationDestination? Destination, ValidationErrors Errors) Check(string? format, string? url, object? options = null, string? template = null, IReadOnlyList<string>? types = null)
    {
        var errors = new ValidationErrors();
        JsonElement? optionsJson = options is null ? null : JsonSerializer.SerializeToElement(options);
        var destination = Formats.Validate(new DestinationInput(format, url, optionsJson, template, types), errors,
            new SigningSecrets("whsec_" + Convert.ToBase64String(new byte[32])));
        return (destination, errors);
    }

    /// <summary>A destination that must pass validation.</summary>
    public NotificationDestination Destination(string format, string url, object? options = null, string? template = null)
    {
        var (destination, errors) = Check(format, url, options, template);
        Assert.True(errors.Count == 0, "validation failed: " + (errors.Count == 0 ? "" : errors.Summary()));
        return destination!;
    }

    /// <summary>One attempt through the real sender.</summary>
    public Task<FormatAttempt> SendAsync(NotificationDestination destination, HubEvent? stored = null) =>
        Sender.SendAsync(Formats.Describe(stored ?? Event()), destination, CancellationToken.None);

    /// <summary>The request a format makes, without sending it.</summary>
    public HttpRequestMessage Request(NotificationDestination destination, HubEvent? stored = null)
    {
        var message = destination.Format.CreateMessage(Formats.Describe(stored ?? Event()), destination, Time.GetUtcNow());
        return Assert.IsType<HttpOutgoing>(message).Request;
    }

    /// <summary>The JSON body a format makes.</summary>
    public JsonElement Body(NotificationDestination destination, HubEvent? stored = null)
    {
        using var request = Request(destination, stored);
        return JsonDocument.Parse(request.Content!.ReadAsStream()).RootElement.Clone();
    }

    public void Dispose() => _services.Dispose();
}
