using System.Collections;
using System.Diagnostics;

namespace PushHub.Bench;

/// <summary>
/// One subscriber's tally: for each event received, its publish→receive latency (from the body's <c>"t"</c>) and
/// its number (<c>"n"</c>), so that what was lost, duplicated or reordered is counted, not guessed. PushHub's events
/// also carry their <c>"seq"</c>, the order the hub committed them in, which every subscriber must see ascending.
/// </summary>
internal sealed class Receiver(int capacity, bool keepNumbers = false)
{
    private readonly BitArray _seen = new(capacity);
    private int _last = -1;
    private long _lastSeq = -1;

    /// <summary>Publish→receive latencies in milliseconds, in arrival order.</summary>
    public List<double> Latencies { get; } = new(capacity);

    /// <summary>With <c>keepNumbers</c>: each latency's event number, in the same order, to find which events were slow.</summary>
    public List<int>? Numbers { get; } = keepNumbers ? new(capacity) : null;

    /// <summary>Distinct events received.</summary>
    public int Received { get; private set; }

    /// <summary>Events received more than once.</summary>
    public int Duplicates { get; private set; }

    /// <summary>
    /// Events that arrived after one published later than them (by the client's publish number: two publishes in
    /// flight at once may be committed in either order, so this is not by itself a server's fault).
    /// </summary>
    public int OutOfOrder { get; private set; }

    /// <summary>Events whose <c>"seq"</c> was lower than one received before them: delivered out of the server's own order.</summary>
    public int OutOfSeqOrder { get; private set; }

    /// <summary>Tallies every event in <paramref name="text"/> (one SSE frame, one WebSocket message), received at <paramref name="now"/>.</summary>
    public void OnMessage(ReadOnlySpan<byte> text, long now)
    {
        int at;
        while ((at = text.IndexOf("\"n\":"u8)) >= 0)
        {
            // PushHub's event JSON has its seq before its data; Nchan's bodies have none.
            var seq = -1L;
            var seqAt = text[..at].LastIndexOf("\"seq\":"u8);
            if (seqAt >= 0)
            {
                var seqText = text[(seqAt + 6)..at];
                if (!TryNumber(ref seqText, out seq))
                {
                    seq = -1;
                }
            }
            text = text[(at + 4)..];
            if (!TryNumber(ref text, out var n) || n < 0 || n >= capacity)
            {
                continue;
            }
            var t = text.IndexOf("\"t\":"u8);
            if (t < 0)
            {
                continue;
            }
            text = text[(t + 4)..];
            if (!TryNumber(ref text, out var sent))
            {
                continue;
            }
            if (_seen[(int)n])
            {
                Duplicates++;
                continue;
            }
            _seen[(int)n] = true;
            Received++;
            if (n < _last)
            {
                OutOfOrder++;
            }
            _last = (int)n;
            if (seq >= 0)
            {
                if (seq < _lastSeq)
                {
                    OutOfSeqOrder++;
                }
                _lastSeq = seq;
            }
            Latencies.Add(Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds);
            Numbers?.Add((int)n);
        }
    }

    private static bool TryNumber(ref ReadOnlySpan<byte> text, out long value)
    {
        var end = text.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        if (end <= 0)
        {
            value = 0;
            return false;
        }
        var parsed = long.TryParse(text[..end], out value);
        text = text[end..];
        return parsed;
    }
}
