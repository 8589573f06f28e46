using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PushHub.Hub;
using PushHub.Storage;

namespace PushHub.Tests.Infrastructure;

/// <summary>
/// The hub on real Kestrel at 127.0.0.1 on a free port: for streams, WebSockets and disconnects. Give it a
/// <c>FakeTimeProvider</c> (as with <see cref="HubFactory"/>) to drive the hub's clock, e.g. to expire tokens.
/// </summary>
public sealed class LiveHub : IDisposable
{
    public LiveHub(IDictionary<string, string?>? settings = null, TimeProvider? time = null, Action<IServiceCollection>? services = null)
    {
        Factory = new HubFactory(settings, time, services: services);
        Factory.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        Factory.StartServer();
        var address = Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        Client = new HttpClient(new StreamsOnFreshConnections()) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public HubFactory Factory { get; }

    public Uri BaseAddress { get; }

    /// <summary>A client of the live server; streams are read with <c>HttpCompletionOption.ResponseHeadersRead</c>.</summary>
    public HttpClient Client { get; }

    public ConnectionStats Connections => Factory.Services.GetRequiredService<ConnectionStats>();

    /// <summary>Runs one retention sweep now.</summary>
    public Task<long> SweepAsync() =>
        Factory.Services.GetServices<IHostedService>().OfType<RetentionService>().Single().SweepAsync();

    /// <summary>Waits (bounded by <paramref name="cancellationToken"/>) until <paramref name="condition"/> holds.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
    }

    /// <summary>
    /// An SSE stream on a connection of its own, as a browser's EventSource mostly gets one (and as the hub's
    /// connection handler serves a stream only as a connection's first request); polls on kept-alive connections of
    /// their own, as a polling client's are (the handler answers a connection's polls until another request comes);
    /// every other request on pooled connections.
    /// </summary>
    private sealed class StreamsOnFreshConnections : HttpMessageHandler
    {
        private readonly HttpMessageInvoker _pooled = new(new SocketsHttpHandler());
        private readonly HttpMessageInvoker _polls = new(new SocketsHttpHandler());
        private readonly HttpMessageInvoker _fresh = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero });

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            (request.RequestUri?.AbsolutePath switch
            {
                "/events/sse" => _fresh,
                "/events" when request.Method == HttpMethod.Get => _polls,
                _ => _pooled,
            }).SendAsync(request, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _pooled.Dispose();
                _polls.Dispose();
                _fresh.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
