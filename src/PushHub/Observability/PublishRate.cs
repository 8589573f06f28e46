namespace PushHub.Observability;

/// <summary>Events committed per second over the last <see cref="Seconds"/> seconds, for <c>/stats</c> and the dashboard chart.</summary>
public sealed class PublishRate(TimeProvider time)
{
    public const int Seconds = 300;

    private readonly long[] _counts = new long[Seconds];
    private readonly long[] _stamps = new long[Seconds];
    private readonly Lock _gate = new();

    /// <summary>Counts <paramref name="events"/> committed now.</summary>
    public void Add(int events)
    {
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        var slot = (int)(second % Seconds);
        lock (_gate)
        {
            if (_stamps[slot] != second)
            {
                _stamps[slot] = second;
                _counts[slot] = 0;
            }
            _counts[slot] += events;
        }
    }

    /// <summary>Events per second, oldest first, ending with the current second.</summary>
    public long[] Last(int seconds)
    {
        seconds = Math.Clamp(seconds, 1, Seconds);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var result = new long[seconds];
        lock (_gate)
        {
            for (var i = 0; i < seconds; i++)
            {
                var second = now - seconds + 1 + i;
                var slot = (int)(second % Seconds);
                result[i] = _stamps[slot] == second ? _counts[slot] : 0;
            }
        }
        return result;
    }
}
