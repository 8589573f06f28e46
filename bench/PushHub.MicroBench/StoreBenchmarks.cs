using BenchmarkDotNet.Attributes;
using PushHub.Hub;
using PushHub.Storage;
using PushHub.Storage.Sqlite;

namespace PushHub.MicroBench;

/// <summary>Durable appends through the group-committing writer, one request at a time and many at once.</summary>
public class StoreBenchmarks
{
    private string _directory = "";
    private SqliteStorage _storage = null!;
    private IPollingStore _store = null!;
    private EventInput[] _one = [];

    [Params(1, 32)]
    public int Concurrent { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "pushhub-microbench-" + Guid.NewGuid().ToString("n"));
        _storage = SqliteStorage.Open(new StorageOptions { Path = Path.Combine(_directory, "bench.db") });
        _store = _storage.Events;
        _one = [new EventInput("build-17", "task.progress", """{"percent":42}"""u8.ToArray(), null) { Percent = 42 }];
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _storage.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Description = "append one event (per request; requests at once = Concurrent)")]
    public Task Append() => Concurrent == 1
        ? _store.AppendAsync(_one)
        : Task.WhenAll(Enumerable.Range(0, Concurrent).Select(_ => _store.AppendAsync(_one)));
}
