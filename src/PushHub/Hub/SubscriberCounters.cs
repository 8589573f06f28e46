namespace PushHub.Hub;

/// <summary>How often subscribers fell back to reading the store (their live queue was full) and how many
/// connections were closed for accepting nothing for <c>Hub:StalledWriteTimeout</c>; for <c>/metrics</c> and <c>/stats</c>.</summary>
public sealed class SubscriberCounters
{
    private long _catchUps;
    private long _stalledCloses;

    public long CatchUps => Interlocked.Read(ref _catchUps);

    public long StalledCloses => Interlocked.Read(ref _stalledCloses);

    public void CaughtUp() => Interlocked.Increment(ref _catchUps);

    public void StalledClosed() => Interlocked.Increment(ref _stalledCloses);
}
