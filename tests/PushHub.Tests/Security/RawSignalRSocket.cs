using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using MessagePack;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Security;

/// <summary>
/// A SignalR connection to <c>/hubs/events</c> spoken by hand over a raw WebSocket (no negotiate), so a test can send
/// bytes no SignalR client would: JSON messages end in 0x1E, MessagePack messages carry a VarInt length prefix.
/// </summary>
public sealed class RawSignalRSocket : IAsyncDisposable
{
    private const byte RecordSeparator = 0x1e;

    private readonly ClientWebSocket _socket = new();
    private readonly bool _messagePack;
    private readonly CancellationToken _cancellationToken;
    private readonly List<byte> _pending = [];
    private bool _closed;

    private RawSignalRSocket(bool messagePack, CancellationToken cancellationToken)
    {
        _messagePack = messagePack;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Connects with <paramref name="key"/> and completes the handshake; fails the test unless the hub accepts it.</summary>
    public static async Task<RawSignalRSocket> ConnectAsync(Uri baseAddress, bool messagePack, string key, CancellationToken cancellationToken)
    {
        var raw = new RawSignalRSocket(messagePack, cancellationToken);
        raw._socket.Options.SetRequestHeader("Authorization", $"Bearer {key}");
        await raw._socket.ConnectAsync(WsClient.Endpoint(baseAddress, "/hubs/events", ""), cancellationToken);
        var protocol = messagePack ? "messagepack" : "json";
        await raw.SendAsync(Json($$"""{"protocol":"{{protocol}}","version":1}"""));
        var answer = await raw.ReceiveRecordAsync();
        Assert.Equal("{}", answer);
        return raw;
    }

    /// <summary>A JSON protocol message: the text and its record separator.</summary>
    public static byte[] Json(string text) => [.. Encoding.UTF8.GetBytes(text), RecordSeparator];

    /// <summary>A MessagePack protocol message: <paramref name="fields"/> packed as an array, with its length prefix.</summary>
    public static byte[] Pack(params object?[] fields) => Framed(MessagePackSerializer.Serialize(fields));

    /// <summary><paramref name="body"/> behind a VarInt length prefix (7 bits a byte, low bits first).</summary>
    public static byte[] Framed(byte[] body) => [.. VarInt((ulong)body.Length), .. body];

    public static byte[] VarInt(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            var low = (byte)(value & 0x7f);
            value >>= 7;
            bytes.Add(value > 0 ? (byte)(low | 0x80) : low);
        }
        while (value > 0);
        return [.. bytes];
    }

    /// <summary>An invocation of <c>Subscribe(taskId, after)</c> in this connection's protocol.</summary>
    public byte[] Subscribe(string invocationId, string taskId, long after) => _messagePack
        ? Pack(1, new Dictionary<string, string>(), invocationId, "Subscribe", new object?[] { taskId, after })
        : Json($$"""{"type":1,"invocationId":"{{invocationId}}","target":"Subscribe","arguments":["{{taskId}}",{{after}}]}""");

    public Task SendAsync(byte[] bytes) => _socket.SendAsync(bytes,
        _messagePack ? WebSocketMessageType.Binary : WebSocketMessageType.Text, endOfMessage: true, _cancellationToken);

    /// <summary>The next message other than a ping, or null once the server closed the WebSocket.</summary>
    public async Task<SignalRMessage?> ReceiveAsync()
    {
        while (true)
        {
            var message = _messagePack ? await ReceivePackedAsync() : Parse(await ReceiveRecordAsync());
            if (message is not { Type: 6 })
            {
                return message;
            }
        }
    }

    private static SignalRMessage? Parse(string? record)
    {
        if (record is null)
        {
            return null;
        }
        var node = JsonNode.Parse(record)!;
        return new SignalRMessage(node["type"]!.GetValue<int>(), node["invocationId"]?.GetValue<string>(),
            node["error"]?.GetValue<string>(), node["target"]?.GetValue<string>());
    }

    private async Task<string?> ReceiveRecordAsync()
    {
        int end;
        while ((end = _pending.IndexOf(RecordSeparator)) < 0)
        {
            if (!await FillAsync())
            {
                return null;
            }
        }
        var record = Encoding.UTF8.GetString(_pending.GetRange(0, end).ToArray());
        _pending.RemoveRange(0, end + 1);
        return record;
    }

    private async Task<SignalRMessage?> ReceivePackedAsync()
    {
        while (true)
        {
            if (TryReadLength(out var length, out var prefix) && _pending.Count >= prefix + length)
            {
                var body = _pending.GetRange(prefix, length).ToArray();
                _pending.RemoveRange(0, prefix + length);
                var fields = MessagePackSerializer.Deserialize<object?[]>(body);
                var type = Convert.ToInt32(fields[0]);
                return type switch
                {
                    // Completion: [3, headers, invocationId, resultKind (1 = error), result]
                    3 => new SignalRMessage(type, (string?)fields[2], Convert.ToInt32(fields[3]) == 1 ? (string?)fields[4] : null, null),
                    // Invocation: [1, headers, invocationId, target, arguments]
                    1 => new SignalRMessage(type, (string?)fields[2], null, (string?)fields[3]),
                    // Close: [7, error, allowReconnect]
                    7 => new SignalRMessage(type, null, (string?)fields[1], null),
                    _ => new SignalRMessage(type, null, null, null),
                };
            }
            if (!await FillAsync())
            {
                return null;
            }
        }
    }

    private bool TryReadLength(out int length, out int prefix)
    {
        length = 0;
        for (prefix = 0; prefix < _pending.Count && prefix < 5; prefix++)
        {
            length |= (_pending[prefix] & 0x7f) << (7 * prefix);
            if ((_pending[prefix] & 0x80) == 0)
            {
                prefix++;
                return true;
            }
        }
        return false;
    }

    private async Task<bool> FillAsync()
    {
        if (_closed)
        {
            return false;
        }
        var buffer = new byte[16 * 1024];
        WebSocketReceiveResult result;
        try
        {
            result = await _socket.ReceiveAsync(buffer, _cancellationToken);
        }
        catch (WebSocketException)
        {
            // The server dropped the connection without a close frame: closed all the same.
            _closed = true;
            return false;
        }
        if (result.MessageType == WebSocketMessageType.Close)
        {
            _closed = true;
            return false;
        }
        _pending.AddRange(buffer.AsSpan(0, result.Count));
        return true;
    }

    public ValueTask DisposeAsync() => WsClient.CloseAndDisposeAsync(_socket);
}

/// <summary>One SignalR message from the hub: its type (1 invocation, 3 completion, 7 close) and the fields a test checks.</summary>
public sealed record SignalRMessage(int Type, string? InvocationId, string? Error, string? Target);
