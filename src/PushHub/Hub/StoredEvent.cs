using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace PushHub.Hub;

/// <summary>Builds the one JSON form of an event, at commit: <c>{"seq","task_id","type","timestamp","data"}</c>.</summary>
public static class StoredEvent
{
    // Task ids and types are restricted to ASCII letters, digits and . _ : - by validation,
    // so they are written between quotes as they are: nothing in them needs escaping.
    private static ReadOnlySpan<byte> SeqPrefix => "{\"seq\":"u8;
    private static ReadOnlySpan<byte> TaskIdPrefix => ",\"task_id\":\""u8;
    private static ReadOnlySpan<byte> TypePrefix => "\",\"type\":\""u8;
    private static ReadOnlySpan<byte> TimestampPrefix => "\",\"timestamp\":\""u8;
    private static ReadOnlySpan<byte> DataPrefix => "\",\"data\":"u8;

    private const int MaxSeqDigits = 19;
    private const int TimestampLength = 24; // 2026-11-23T10:30:00.123Z

    /// <summary>The size the event will have once stored, at the most (the seq counted at its widest).</summary>
    public static int MaxSize(string taskId, string type, int dataLength) =>
        SeqPrefix.Length + MaxSeqDigits + TaskIdPrefix.Length + taskId.Length + TypePrefix.Length + type.Length
        + TimestampPrefix.Length + TimestampLength + DataPrefix.Length + dataLength + 1;

    public static HubEvent Create(long seq, EventInput input, DateTimeOffset timestamp)
    {
        var utc = timestamp.ToUniversalTime();
        // Store millisecond precision only, so the in-memory timestamp equals what a reader parses back.
        utc = new DateTimeOffset(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

        var buffer = new byte[MaxSize(input.TaskId, input.Type, input.Data.Length) - MaxSeqDigits + CountDigits(seq)];
        var span = buffer.AsSpan();
        var at = Append(span, 0, SeqPrefix);
        Utf8Formatter.TryFormat(seq, span[at..], out var written);
        at += written;
        at = Append(span, at, TaskIdPrefix);
        at += Encoding.ASCII.GetBytes(input.TaskId, span[at..]);
        at = Append(span, at, TypePrefix);
        at += Encoding.ASCII.GetBytes(input.Type, span[at..]);
        at = Append(span, at, TimestampPrefix);
        at += FormatTimestamp(utc, span[at..]);
        at = Append(span, at, DataPrefix);
        at = Append(span, at, input.Data.Span);
        span[at++] = (byte)'}';
        System.Diagnostics.Debug.Assert(at == buffer.Length);
        return new HubEvent(seq, input.TaskId, input.Type, utc, buffer);
    }

    private static int CountDigits(long value)
    {
        var digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }
        return digits;
    }

    public static string FormatTimestamp(DateTimeOffset utc) =>
        utc.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static int FormatTimestamp(DateTimeOffset utc, Span<byte> destination) =>
        Encoding.ASCII.GetBytes(FormatTimestamp(utc), destination);

    private static int Append(Span<byte> destination, int at, ReadOnlySpan<byte> source)
    {
        source.CopyTo(destination[at..]);
        return at + source.Length;
    }
}
