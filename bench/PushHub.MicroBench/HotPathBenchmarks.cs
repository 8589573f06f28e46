using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using PushHub.Hub;
using PushHub.Webhooks;

namespace PushHub.MicroBench;

/// <summary>Per-event work on the publish path and the delivery path: validate, serialize, frame, sign.</summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private static readonly byte[] s_body = Encoding.UTF8.GetBytes(
        """{"task_id":"build-17","type":"task.progress","data":{"percent":42,"message":"Compiling module 7 of 12"}}""");

    private readonly EventValidator _validator = new(Options.Create(new LimitsOptions()));
    private readonly byte[] _key = WebhookSigner.Key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    private EventInput _input = null!;
    private HubEvent _stored = null!;
    private long _seq = 1_000_000;

    [GlobalSetup]
    public void Setup()
    {
        using var document = JsonDocument.Parse(s_body);
        _input = _validator.Validate(document.RootElement, "", new ValidationErrors())!;
        _stored = StoredEvent.Create(42, _input, DateTimeOffset.UtcNow);
    }

    [Benchmark(Description = "parse + validate one event")]
    public EventInput? Validate()
    {
        using var document = JsonDocument.Parse(s_body);
        return _validator.Validate(document.RootElement, "", new ValidationErrors());
    }

    [Benchmark(Description = "serialize at commit (StoredEvent.Create)")]
    public HubEvent Serialize() => StoredEvent.Create(++_seq, _input, DateTimeOffset.UtcNow);

    [Benchmark(Description = "SSE frame, built once per event")]
    public int SseFrame() => new HubEvent(_stored.Seq, _stored.TaskId, _stored.Type, _stored.Timestamp, _stored.Json).SseFrame.Length;

    [Benchmark(Description = "sign a delivery (both signatures)")]
    public int Sign() =>
        WebhookSigner.BodySignature(_key, _stored.Json.Span).Length
        + WebhookSigner.StandardSignature(_key, WebhookSigner.MessageId(_stored.Seq), 1_700_000_000, _stored.Json.Span).Length;
}
