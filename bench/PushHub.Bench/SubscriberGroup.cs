namespace PushHub.Bench;

/// <summary>
/// N subscribers of one task, or spread over several (subscriber <i>i</i> on task <i>i</i> mod the task count), and
/// over a cluster's nodes (see <see cref="NodeOf"/>), connected before anything is published: every client says it is connected and the server counts them all, so
/// no event can be published before everyone listens.
/// </summary>
internal sealed class SubscriberGroup : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _readers;
    private int _disposed;

    private SubscriberGroup(Receiver[] receivers, IReadOnlyList<string> tasks, Func<int, CancellationToken, Task> run)
    {
        Receivers = receivers;
        Tasks = tasks;
        _readers = receivers.Select((_, index) => Task.Run(() => run(index, _stop.Token))).ToArray();
    }

    /// <summary>The tasks subscribed to; subscriber <i>i</i> is on <c>Tasks[i % Tasks.Count]</c>.</summary>
    public IReadOnlyList<string> Tasks { get; }

    /// <summary>One tally per subscriber.</summary>
    public Receiver[] Receivers { get; }

    /// <summary>Distinct events received, summed over the subscribers.</summary>
    public long Received => Receivers.Sum(r => (long)r.Received);

    /// <summary>Subscribers whose stream has ended before the run stopped it: the server closed them (or they failed).</summary>
    public int Closed => _readers.Count(r => r.IsCompleted);

    /// <summary>Connects <paramref name="count"/> subscribers of one task; null (reason on stderr) when not all of them got in.</summary>
    public static Task<SubscriberGroup?> ConnectAsync(string transport, HubTarget target, IReadOnlyList<HttpClient> nodes, SocketsHttpHandler handler,
        string task, int count, int capacity) =>
        ConnectAsync(transport, target, nodes, handler, [task], count, capacity);

    /// <summary>
    /// The node of subscriber <paramref name="index"/>: the <i>k</i>-th subscriber of task <i>t</i> is on node
    /// (<i>t</i> + <i>k</i>) mod the node count, so every task has subscribers on every node (when it has as many as
    /// there are nodes) and the nodes hold about the same number each.
    /// </summary>
    public static int NodeOf(int index, int tasks, int nodes) => (index % tasks + index / tasks) % nodes;

    /// <summary>
    /// Connects <paramref name="count"/> subscribers over <paramref name="transport"/>, spread over
    /// <paramref name="tasks"/> in turn; null (reason on stderr) when not all of them got in. With
    /// <paramref name="keepNumbers"/> each receiver also keeps which event each latency belongs to.
    /// </summary>
    public static async Task<SubscriberGroup?> ConnectAsync(string transport, HubTarget target, IReadOnlyList<HttpClient> nodes, SocketsHttpHandler handler,
        IReadOnlyList<string> tasks, int count, int capacity, bool keepNumbers = false)
    {
        var connecting = new SemaphoreSlim(256); // a burst of thousands of connects overflows the listen backlog
        var connected = 0;
        var receivers = Enumerable.Range(0, count).Select(_ => new Receiver(capacity, keepNumbers)).ToArray();
        var group = new SubscriberGroup(receivers, tasks,
            (index, stop) => Subscriber.RunAsync(transport, target, nodes[NodeOf(index, tasks.Count, nodes.Count)], handler, tasks[index % tasks.Count], receivers[index], connecting,
                () => Interlocked.Increment(ref connected), stop));
        if (!await Poll.UntilAsync(() => Volatile.Read(ref connected) >= count || group._readers.Any(r => r.IsFaulted), TimeSpan.FromMinutes(3))
            || group._readers.FirstOrDefault(r => r.IsFaulted) is { })
        {
            Console.Error.WriteLine($"{Volatile.Read(ref connected)} of {count} {transport} subscribers connected to {target.Name}; " +
                group._readers.FirstOrDefault(r => r.IsFaulted)?.Exception?.GetBaseException().Message);
            await group.DisposeAsync();
            return null;
        }
        if (!await target.WaitForSubscribersAsync(nodes, tasks, count, TimeSpan.FromMinutes(1)))
        {
            await group.DisposeAsync();
            return null;
        }
        return group;
    }

    /// <summary>
    /// Waits for <paramref name="expected"/> events in all: up to 5 s after the last publish was answered, then, as
    /// long as events still come (one at least every 5 s), up to a minute more, so that an event that is late is
    /// told apart from one that never comes. Returns how many had arrived within the first 5 s.
    /// </summary>
    public async Task<long> SettleAsync(long expected)
    {
        await Poll.UntilAsync(() => Received >= expected, TimeSpan.FromSeconds(5));
        var inTime = Received;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var last = inTime;
        var progressAt = clock.Elapsed;
        while (last < expected && clock.Elapsed < TimeSpan.FromMinutes(1) && clock.Elapsed - progressAt < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(200);
            if (Received > last)
            {
                last = Received;
                progressAt = clock.Elapsed;
            }
        }
        return inTime;
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
