using BenchmarkDotNet.Attributes;
using PushHub.Hub;

namespace PushHub.MicroBench;

/// <summary>Handing one committed event to N subscribers of its task through the feed (no I/O).</summary>
[MemoryDiagnoser]
public class FanOutBenchmarks
{
    private readonly EventFeed _feed = new();
    private readonly List<FeedRegistration> _registrations = [];
    private HubEvent[] _batch = [];

    [Params(1, 1000, 10000)]
    public int Subscribers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        for (var i = 0; i < Subscribers; i++)
        {
            _registrations.Add(_feed.Listen(new EventFilter(["build-17"], null), new CountingListener()));
        }
        // Another task's listeners must cost nothing for this task's events.
        for (var i = 0; i < 1000; i++)
        {
            _registrations.Add(_feed.Listen(new EventFilter([$"other-{i}"], null), new CountingListener()));
        }
        _batch = [new HubEvent(1, "build-17", "task.progress", DateTimeOffset.UtcNow, "{}"u8.ToArray())];
    }

    [Benchmark(Description = "publish one event to every subscriber of its task")]
    public void Publish() => _feed.Publish(_batch);

    private sealed class CountingListener : IFeedListener
    {
        private long _count;

        public void OnEvent(HubEvent stored) => _count++;
    }
}
