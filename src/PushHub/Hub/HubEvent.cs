using System.Text;

namespace PushHub.Hub;

/// <summary>
/// A committed event. Its JSON is serialized once, at commit, and every reader (poll, SSE, WebSocket, webhook)
/// writes these same bytes; transport frames derived from them are cached here so that fan-out does no
/// per-subscriber formatting.
/// </summary>
public sealed class HubEvent
{
    private byte[]? _sseFrame;

    public HubEvent(long seq, string taskId, string type, DateTimeOffset timestamp, ReadOnlyMemory<byte> json)
    {
        Seq = seq;
        TaskId = taskId;
        Type = type;
        Timestamp = timestamp;
        Json = json;
    }

    /// <summary>The global sequence number: the cursor for every transport.</summary>
    public long Seq { get; }

    public string TaskId { get; }

    public string Type { get; }

    /// <summary>Commit time, UTC.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The event as stored: <c>{"seq":..,"task_id":..,"type":..,"timestamp":..,"data":{..}}</c>, UTF-8.</summary>
    public ReadOnlyMemory<byte> Json { get; }

    /// <summary>
    /// The complete SSE frame (<c>id</c>, <c>event</c>, <c>data</c>, blank line), built on first use and shared by
    /// every SSE subscriber. The event JSON never holds a raw newline (JSON escapes them), so one <c>data:</c>
    /// line carries it, as the SSE specification requires.
    /// </summary>
    public ReadOnlyMemory<byte> SseFrame => _sseFrame ?? CreateSseFrame();

    private byte[] CreateSseFrame()
    {
        var seq = Seq.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var length = "id: "u8.Length + seq.Length + "\nevent: "u8.Length + Encoding.UTF8.GetByteCount(Type)
            + "\ndata: "u8.Length + Json.Length + "\n\n"u8.Length;
        var frame = new byte[length];
        var span = frame.AsSpan();
        var at = 0;
        at += Append(span[at..], "id: "u8);
        at += Encoding.ASCII.GetBytes(seq, span[at..]);
        at += Append(span[at..], "\nevent: "u8);
        at += Encoding.UTF8.GetBytes(Type, span[at..]);
        at += Append(span[at..], "\ndata: "u8);
        at += Append(span[at..], Json.Span);
        Append(span[at..], "\n\n"u8);
        // Benign race: two threads may build equal frames; one wins, both are correct.
        return Interlocked.CompareExchange(ref _sseFrame, frame, null) ?? frame;
    }

    private static int Append(Span<byte> destination, ReadOnlySpan<byte> source)
    {
        source.CopyTo(destination);
        return source.Length;
    }

    public override string ToString() => Encoding.UTF8.GetString(Json.Span);
}
