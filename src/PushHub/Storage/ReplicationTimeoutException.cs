namespace PushHub.Storage;

/// <summary>
/// The events were written, but fewer replicas than the store was told to wait for (Redis:
/// <c>Storage:Redis:WaitForReplicas</c>) confirmed them in time, so the publish is not acknowledged: the hub answers
/// 503 with Retry-After. The events may well survive; a retry with the same idempotency keys then answers the stored
/// originals instead of storing them twice.
/// </summary>
public sealed class ReplicationTimeoutException(int wanted, long confirmed, TimeSpan timeout)
    : Exception($"Only {confirmed} of the {wanted} replicas that Storage:Redis:WaitForReplicas asks for confirmed the write within {timeout}.")
{
    public int Wanted { get; } = wanted;

    public long Confirmed { get; } = confirmed;
}
