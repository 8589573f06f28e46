using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace PushHub.Storage.Redis;

/// <summary>
/// The Redis provider (cluster mode): one <see cref="ConnectionMultiplexer"/> per node, every key under
/// <see cref="RedisStorageOptions.KeyPrefix"/>. It owns the connection and the wake-up subscription; the event log
/// (<see cref="Events"/>), the webhook store (<see cref="Webhooks"/>) and the cluster leases (<see cref="Leases"/>)
/// work through it. Several nodes on the same Redis and prefix share one log.
/// </summary>
public sealed class RedisStorage : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _connection;
    private readonly CancellationTokenSource _closing = new();
    private readonly RedisChannel _wakeChannel;
    private TaskCompletionSource _wake = NewWake();

    private RedisStorage(ConnectionMultiplexer connection, RedisStorageOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        _connection = connection;
        Options = options;
        Prefix = options.KeyPrefix;
        Time = time;
        Logger = loggers.CreateLogger<RedisStorage>();
        NodeId = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
        Database = connection.GetDatabase();
        _wakeChannel = RedisChannel.Literal(Prefix + "wake");
        // Pub/sub is only a wake-up: followers read the log themselves, and also every second without one.
        connection.GetSubscriber().Subscribe(_wakeChannel, (_, _) => Wake());
        var polling = new RedisPollingStore(this);
        Events = polling;
        WebhookStore = new RedisWebhookStore(Database, Prefix, time, NodeId);
        Leases = new RedisClusterLeases(this);
    }

    /// <summary>
    /// Connects to the Redis that <see cref="RedisStorageOptions.Configuration"/> names; fails when it cannot be reached.
    /// Dispose the storage to close the connection.
    /// </summary>
    public static RedisStorage Connect(RedisStorageOptions options, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        var problems = options.Problems().ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join(" ", problems));
        }
        var configuration = ConfigurationOptions.Parse(options.Configuration!);
        configuration.ClientName ??= "pushhub";
        ConnectionMultiplexer connection;
        try
        {
            connection = ConnectionMultiplexer.Connect(configuration);
        }
        catch (RedisConnectionException exception)
        {
            // The configuration string may hold a password: name the setting, not its value.
            throw new InvalidOperationException(
                "Could not connect to the Redis that Storage:Redis:Configuration names; check that it runs and the setting is right.", exception);
        }
        var storage = new RedisStorage(connection, options, time ?? TimeProvider.System, loggers ?? NullLoggerFactory.Instance);
        ((RedisPollingStore)storage.Events).Load();
        return storage;
    }

    /// <summary>The event log, the task projection and retention.</summary>
    public IPollingStore Events { get; }

    /// <summary>Webhooks, their outbox, attempt log and dead letters.</summary>
    public IWebhookStore Webhooks => WebhookStore;

    /// <summary>Leases shared by every node on this Redis and prefix.</summary>
    public IClusterLeases Leases { get; }

    internal RedisWebhookStore WebhookStore { get; }

    internal RedisStorageOptions Options { get; }

    internal string Prefix { get; }

    internal IDatabase Database { get; }

    internal TimeProvider Time { get; }

    internal ILogger Logger { get; }

    /// <summary>This node's id, as leases and claims record it.</summary>
    internal string NodeId { get; }

    /// <summary>Fires when the storage is disposed: followers end.</summary>
    internal CancellationToken Closing => _closing.Token;

    /// <summary>Completes at the next wake-up (a commit on any node, as pub/sub reports it, or one of this node's own).</summary>
    internal Task NextWake => Volatile.Read(ref _wake).Task;

    internal RedisKey Key(string suffix) => Prefix + suffix;

    /// <summary>The primary this node is connected to now (after a failover, the promoted one).</summary>
    /// <exception cref="RedisConnectionException">No connected server is a primary (a failover is under way).</exception>
    internal IServer Primary()
    {
        foreach (var server in _connection.GetServers())
        {
            if (server.IsConnected && !server.IsReplica)
            {
                return server;
            }
        }
        throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.DemandMaster,
            "No connected Redis server is a primary.", null, CommandStatus.WaitingToBeSent);
    }

    internal void Wake() => Interlocked.Exchange(ref _wake, NewWake()).TrySetResult();

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        if (_closing.IsCancellationRequested)
        {
            return;
        }
        await _closing.CancelAsync().ConfigureAwait(false);
        Wake();
        // Appends already queued still run on the open connection; later ones are refused.
        await ((RedisPollingStore)Events).CloseAsync().ConfigureAwait(false);
        try
        {
            await _connection.GetSubscriber().UnsubscribeAsync(_wakeChannel).ConfigureAwait(false);
        }
        catch (RedisException)
        {
            // Closing anyway.
        }
        await _connection.CloseAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        // _closing stays undisposed: a follower still looks at its token on the way out.
    }
}
