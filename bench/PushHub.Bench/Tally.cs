namespace PushHub.Bench;

/// <summary>
/// What a set of subscribers received, summed: deliveries, duplicates, events out of the client's publish order
/// and out of the server's seq order, and every publish→receive latency, sorted. The fan-out, steady and idle
/// scenarios print it the same way, so lost, duplicated and reordered events are counted in each of them.
/// </summary>
internal sealed class Tally
{
    private Tally(long deliveries, long duplicates, long outOfOrder, long outOfSeqOrder, double[] latencies)
    {
        Deliveries = deliveries;
        Duplicates = duplicates;
        OutOfOrder = outOfOrder;
        OutOfSeqOrder = outOfSeqOrder;
        Latencies = latencies;
    }

    /// <summary>Distinct events received, over all subscribers.</summary>
    public long Deliveries { get; }

    /// <summary>Events a subscriber received more than once.</summary>
    public long Duplicates { get; }

    /// <summary>Events received after one the client published later (see <see cref="Receiver.OutOfOrder"/>).</summary>
    public long OutOfOrder { get; }

    /// <summary>Events received after one with a higher seq: out of the server's own order (PushHub only).</summary>
    public long OutOfSeqOrder { get; }

    /// <summary>Publish→receive latencies in milliseconds, ascending.</summary>
    public double[] Latencies { get; }

    /// <summary>Sums the tallies of <paramref name="receivers"/>.</summary>
    public static Tally Of(IReadOnlyCollection<Receiver> receivers)
    {
        var latencies = new double[receivers.Sum(r => (long)r.Latencies.Count)];
        var at = 0;
        foreach (var receiver in receivers)
        {
            receiver.Latencies.CopyTo(latencies, at);
            at += receiver.Latencies.Count;
        }
        Array.Sort(latencies);
        return new Tally(receivers.Sum(r => (long)r.Received), receivers.Sum(r => (long)r.Duplicates),
            receivers.Sum(r => (long)r.OutOfOrder), receivers.Sum(r => (long)r.OutOfSeqOrder), latencies);
    }

    /// <summary>
    /// Prints what was lost (of <paramref name="expected"/>), duplicated and reordered, as a line and as result
    /// rows; true when nothing was lost, doubled or delivered out of the server's order.
    /// </summary>
    public bool Report(HubTarget target, long expected)
    {
        var lost = expected - Deliveries;
        Console.WriteLine($"lost {lost} (of {expected:N0} expected), duplicates {Duplicates}, out of publish order {OutOfOrder}" +
            (target.IsNchan ? "" : $", out of seq order {OutOfSeqOrder}"));
        Figures.Result("lost", lost);
        Figures.Result("duplicates", Duplicates);
        // By the client's publish number: two publishes in flight may commit in either order, so this one is
        // informational. PushHub's seq order is the server's promise, and must hold (Nchan's bodies carry no seq).
        Figures.Result("out of publish order", OutOfOrder);
        if (!target.IsNchan)
        {
            Figures.Result("out of seq order", OutOfSeqOrder);
        }
        return lost == 0 && Duplicates == 0 && OutOfSeqOrder == 0;
    }
}
