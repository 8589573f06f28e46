using System.Threading.Channels;
using PushHub.Hub;

namespace PushHub.Storage.Sqlite;

/// <summary>
/// Hands each batch the writer committed, in seq order, to this process's followers of the log
/// (<see cref="IPollingStore.FollowAsync"/>): the in-process shortcut DESIGN allows a provider for its own node's
/// commits, instead of reading them back. With one node on SQLite, every commit is this node's.
/// </summary>
/// <remarks>
/// A follower joins under the same lock that publishing takes, so it learns the head exactly: every batch above it
/// reaches the follower here, everything up to it is in the database. A follower that lets
/// <see cref="MaxPendingBatches"/> batches pile up is cut off (<see cref="Follower.Overflowed"/>) instead of growing
/// without bound; it joins again and reads what it missed from the database.
/// </remarks>
internal sealed class CommittedBatches(long head)
{
    public const int MaxPendingBatches = 1024;

    private readonly Lock _gate = new();
    private Follower[] _followers = [];
    private long _head = head;
    private bool _closed;

    /// <summary>The highest seq handed out so far.</summary>
    public long Head => Volatile.Read(ref _head);

    /// <summary>Called by the writer after a commit that appended <paramref name="appended"/> (reused afterwards).</summary>
    public void Publish(List<HubEvent> appended)
    {
        lock (_gate)
        {
            Volatile.Write(ref _head, appended[^1].Seq);
            if (_followers.Length == 0)
            {
                return;
            }
            var batch = appended.ToArray();
            foreach (var follower in _followers)
            {
                follower.Offer(batch);
            }
        }
    }

    /// <summary>Starts handing batches to a new follower; it gets every batch above its <see cref="Follower.StartHead"/>.</summary>
    public Follower Join()
    {
        lock (_gate)
        {
            var follower = new Follower(this, _head);
            if (_closed)
            {
                follower.Complete();
            }
            else
            {
                _followers = [.. _followers, follower];
            }
            return follower;
        }
    }

    /// <summary>The store is closing: every follower's batches end.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            foreach (var follower in _followers)
            {
                follower.Complete();
            }
            _followers = [];
        }
    }

    private void Leave(Follower follower)
    {
        lock (_gate)
        {
            _followers = Array.FindAll(_followers, other => other != follower);
        }
    }

    /// <summary>One follower's queue of committed batches.</summary>
    internal sealed class Follower(CommittedBatches owner, long startHead) : IDisposable
    {
        private readonly Channel<HubEvent[]> _batches = Channel.CreateBounded<HubEvent[]>(new BoundedChannelOptions(MaxPendingBatches)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

        private volatile bool _overflowed;

        /// <summary>The head when the follower joined: it gets every batch above it.</summary>
        public long StartHead { get; } = startHead;

        /// <summary>True once the follower fell <see cref="MaxPendingBatches"/> batches behind and was cut off.</summary>
        public bool Overflowed => _overflowed;

        public ChannelReader<HubEvent[]> Batches => _batches.Reader;

        internal void Offer(HubEvent[] batch)
        {
            if (!_batches.Writer.TryWrite(batch) && !_overflowed)
            {
                _overflowed = true;
                _batches.Writer.TryComplete();
            }
        }

        internal void Complete() => _batches.Writer.TryComplete();

        public void Dispose()
        {
            owner.Leave(this);
            _batches.Writer.TryComplete();
        }
    }
}
