using System.Text;
using Microsoft.Extensions.Time.Testing;
using PushHub.Hub;
using PushHub.Storage;

namespace PushHub.Tests.Storage.Specs;

/// <summary>
/// What every spec suite of the storage seams shares: a fresh store per test, on a fake clock, and small builders. A
/// provider's suite derives from a spec and says only how to create its store (<see cref="CreateStoreAsync"/>), as
/// SignalR's <c>HubLifetimeManagerTestsBase</c> does for its backplanes.
/// </summary>
public abstract class StorageSpec : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    /// <summary>The store's clock: event timestamps, dead letters and attempts are stamped from it.</summary>
    protected FakeTimeProvider Time { get; } = new(Start);

    protected StoreUnderTest Store { get; private set; } = null!;

    protected IPollingStore Events => Store.Events;

    protected IWebhookStore Webhooks => Store.Webhooks;

    /// <summary>Guards every wait of a test: a broken provider fails the test instead of hanging the run.</summary>
    protected CancellationTokenSource Timeout { get; } = new(TimeSpan.FromSeconds(60));

    /// <summary>Creates an empty store of the provider under test, whose clock is <paramref name="time"/>.</summary>
    protected abstract Task<StoreUnderTest> CreateStoreAsync(TimeProvider time);

    /// <summary>
    /// The same store as a second node sees it, on the same clock. A one-node provider (SQLite: its lock file keeps a
    /// second process out) answers <see cref="Store"/> itself; a clustered one opens another connection, so that the
    /// tests that work from two nodes really do.
    /// </summary>
    protected virtual Task<StoreUnderTest> OpenSecondNodeAsync() => Task.FromResult(Store);

    private StoreUnderTest? _secondNode;

    /// <summary>The second node (<see cref="OpenSecondNodeAsync"/>), opened on first use.</summary>
    protected async Task<StoreUnderTest> SecondNodeAsync() => _secondNode ??= await OpenSecondNodeAsync();

    public async Task InitializeAsync() => Store = await CreateStoreAsync(Time);

    public virtual async Task DisposeAsync()
    {
        if (_secondNode is not null && _secondNode != Store)
        {
            await _secondNode.DisposeAsync();
        }
        await Store.DisposeAsync();
        Timeout.Dispose();
    }

    protected static EventInput Input(string taskId, string type = "x", string data = "{}", string? key = null) =>
        new(taskId, type, Encoding.UTF8.GetBytes(data), key);

    protected async Task<HubEvent> AppendAsync(string taskId, string type = "x", string data = "{}", string? key = null) =>
        (await Events.AppendAsync([Input(taskId, type, data, key)])).Single().Event;

    /// <summary>Appends <paramref name="count"/> events of <paramref name="taskId"/> in one batch; answers their seqs.</summary>
    protected async Task<long[]> AppendBatchAsync(string taskId, int count, string type = "x") =>
        (await Events.AppendAsync(Enumerable.Range(0, count).Select(i => Input(taskId, type, $$"""{"n":{{i}}}""")).ToList()))
            .Select(outcome => outcome.Event.Seq).ToArray();

    /// <summary>Every stored event after <paramref name="after"/>, page by page.</summary>
    protected async Task<List<HubEvent>> ReadAllAsync(long after = 0)
    {
        var events = new List<HubEvent>();
        while (true)
        {
            var page = await Events.ReadPageAsync(new EventQuery(after, 100));
            events.AddRange(page.Events);
            var next = page.NextCursor(after, null);
            if (page.Complete || next == after)
            {
                return events;
            }
            after = next;
        }
    }

    protected static WebhookRecord Webhook(string id, string? taskPattern = null, IReadOnlyList<string>? types = null) => new()
    {
        Id = id,
        Url = $"https://hooks.example.com/{id}",
        TaskPattern = taskPattern,
        Types = types,
        Secret = "whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes("a secret of thirty-two bytes....")),
    };

    protected static string Text(ReadOnlyMemory<byte> json) => Encoding.UTF8.GetString(json.Span);
}
