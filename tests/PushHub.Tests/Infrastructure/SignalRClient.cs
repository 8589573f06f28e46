using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace PushHub.Tests.Infrastructure;

/// <summary>A SignalR client of <c>/hubs/events</c> over WebSockets, JSON or MessagePack, collecting <c>event</c> and <c>reset</c> calls.</summary>
public sealed class SignalRClient : IAsyncDisposable
{
    private readonly Channel<object> _calls = Channel.CreateUnbounded<object>();
    private readonly CancellationToken _cancellationToken;

    private SignalRClient(HubConnection connection, bool messagePack, CancellationToken cancellationToken)
    {
        Connection = connection;
        _cancellationToken = cancellationToken;
        if (messagePack)
        {
            connection.On<Dictionary<object, object?>>("event", e => _calls.Writer.TryWrite(e));
            connection.On<Dictionary<object, object?>>("reset", e => _calls.Writer.TryWrite(new ResetCall(Convert.ToInt64(e["first_seq"]!))));
        }
        else
        {
            connection.On<JsonElement>("event", e => _calls.Writer.TryWrite(e));
            connection.On<JsonElement>("reset", e => _calls.Writer.TryWrite(new ResetCall(e.GetProperty("first_seq").GetInt64())));
        }
        connection.Closed += _ =>
        {
            _calls.Writer.TryComplete();
            return Task.CompletedTask;
        };
    }

    public HubConnection Connection { get; }

    /// <summary>Connects to <c>/hubs/events</c>; <paramref name="configure"/> may add credentials (a key header, an access token).</summary>
    public static async Task<SignalRClient> ConnectAsync(Uri baseAddress, bool messagePack, CancellationToken cancellationToken,
        Action<HttpConnectionOptions>? configure = null, string query = "")
    {
        var builder = new HubConnectionBuilder().WithUrl(new Uri(baseAddress, "/hubs/events" + query), HttpTransportType.WebSockets,
            options => configure?.Invoke(options));
        if (messagePack)
        {
            builder.AddMessagePackProtocol();
        }
        var client = new SignalRClient(builder.Build(), messagePack, cancellationToken);
        try
        {
            await client.Connection.StartAsync(cancellationToken);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
        return client;
    }

    /// <summary>The next call: a <see cref="JsonElement"/> (JSON), a map (MessagePack) or a <see cref="ResetCall"/>; null once closed.</summary>
    public async Task<object?> NextAsync() =>
        await _calls.Reader.WaitToReadAsync(_cancellationToken) && _calls.Reader.TryRead(out var call) ? call : null;

    /// <summary>The seq of an event call, whichever protocol delivered it.</summary>
    public static long SeqOf(object call) => call switch
    {
        JsonElement json => json.GetProperty("seq").GetInt64(),
        Dictionary<object, object?> map => Convert.ToInt64(map["seq"]),
        _ => throw new InvalidOperationException($"not an event: {call}"),
    };

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}

/// <summary>A <c>reset</c> call: events before <see cref="FirstSeq"/> are gone.</summary>
public sealed record ResetCall(long FirstSeq);
