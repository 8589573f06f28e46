namespace PushHub.Bench;

/// <summary>
/// N subscribers of one task, connected before anything is published: every client says it is connected and the
/// server counts them all, so no event can be published before everyone listens.
/// </summary>
internal sealed class SubscriberGroup : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _readers;
    private int _disposed;

    private SubscriberGroup(Receiver[] receivers, Func<Receiver, CancellationToken, Task> run)
    {
        Receivers = receivers;
        _readers = receivers.Select(receiver => Task.Run(() => run(receiver, _stop.Token))).ToArray();
    }

    /// <summary>One tally per subscriber.</summary>
    public Receiver[] Receivers { get; }

    /// <summary>Distinct events received, summed over the subscribers.</summary>
    public long Received => Receivers.Sum(r => (long)r.Received);

    /// <summary>Subscribers whose stream has ended before the run stopped it: the server closed them (or they failed).</summary>
    public int Closed => _readers.Count(r => r.IsCompleted);

    /// <summary>Connects <paramref name="count"/> subscribers over <paramref name="transport"/>; null (reason on stderr) when not all of them got in.</summary>
    public static async Task<SubscriberGroup?> ConnectAsync(string transport, HubTarget target, HttpClient http, SocketsHttpHandler handler,
        string task, int count, int capacity)
    {
        var connecting = new SemaphoreSlim(256); // a burst of thousands of connects overflows the listen backlog
        var connected = 0;
        var group = new SubscriberGroup(Enumerable.Range(0, count).Select(_ => new Receiver(capacity)).ToArray(),
            (receiver, stop) => Subscriber.RunAsync(transport, target, http, handler, task, receiver, connecting,
                () => Interlocked.Increment(ref connected), stop));
        if (!await Poll.UntilAsync(() => Volatile.Read(ref connected) >= count || group._readers.Any(r => r.IsFaulted), TimeSpan.FromMinutes(3))
            || group._readers.FirstOrDefault(r => r.IsFaulted) is { })
        {
            Console.Error.WriteLine($"{Volatile.Read(ref connected)} of {count} {transport} subscribers connected to {target.Name}; " +
                group._readers.FirstOrDefault(r => r.IsFaulted)?.Exception?.GetBaseException().Message);
            await group.DisposeAsync();
            return null;
        }
        if (!await target.WaitForSubscribersAsync(http, task, count, TimeSpan.FromMinutes(1)))
        {
            await group.DisposeAsync();
            return null;
        }
        return group;
    }

    /// <summary>Closes every connection and waits for the readers to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stop.CancelAsync();
        await Task.WhenAll(_readers.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));
        _stop.Dispose();
    }
}
