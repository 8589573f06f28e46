using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PushHub.Tests.Webhooks;

/// <summary>A delivery as a receiver saw it.</summary>
public sealed record ReceivedDelivery(int Number, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A real HTTP receiver on Kestrel at 127.0.0.1:0. <see cref="Respond"/> decides each answer from the delivery's
/// number (1, 2, ...), so a test can fail N times, hang, answer 410 or redirect.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedDelivery> _received = new();
    private int _count;

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>The answer to delivery number n; by default 200.</summary>
    public Func<int, HttpContext, Task> Respond { get; set; } = (_, _) => Task.CompletedTask;

    public string Url { get; private set; } = "";

    public IReadOnlyList<ReceivedDelivery> Received => _received.ToArray();

    public int Count => Volatile.Read(ref _count);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/{**path}", receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = address.TrimEnd('/') + "/hook";
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        var number = Interlocked.Increment(ref _count);
        _received.Enqueue(new ReceivedDelivery(number, headers, body.ToArray()));
        await Respond(number, context);
    }

    /// <summary>Waits (in real time, for the hub's background work) until <paramref name="condition"/> holds.</summary>
    public static async Task WaitForAsync(Func<bool> condition, string what, Action? nudge = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            nudge?.Invoke();
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
