using System.Net.Http.Headers;
using MessagePack;
using Microsoft.AspNetCore.SignalR.Client;
using PushHub.Tests.Infrastructure;
using static PushHub.Tests.Security.RawSignalRSocket;

namespace PushHub.Tests.Security;

/// <summary>One live secured hub shared by the junk-frame cases.</summary>
public sealed class JunkFramesHub : IDisposable
{
    public LiveHub Hub { get; } = new(SecuredHub.Settings());

    public void Dispose() => Hub.Dispose();
}

/// <summary>
/// Junk sent after a valid SignalR handshake, over the JSON and the MessagePack protocol. What the hub does is
/// SignalR's own contract: a message it cannot parse (broken JSON or MessagePack, a bad length prefix, too large)
/// ends that connection with a close message carrying a generic error; a well-formed invocation it cannot bind (an
/// unknown method, wrong argument types or count, a number out of range) gets a completion with an error and the
/// connection stays usable; a message type it does not know is ignored. In every case nothing crashes, the error
/// names no internals, another connection keeps receiving events, and the store is unchanged.
/// </summary>
public sealed class SignalRJunkFrameTests(JunkFramesHub fixture) : IClassFixture<JunkFramesHub>, IDisposable
{
    public enum Outcome
    {
        /// <summary>A close message with an error, then the WebSocket closes.</summary>
        Closed,

        /// <summary>A completion with an error for the junk invocation; the connection keeps working.</summary>
        CompletionError,

        /// <summary>No answer; the connection keeps working.</summary>
        Ignored,

        /// <summary>The WebSocket itself closes (a protocol error below SignalR), with no SignalR message.</summary>
        Dropped,
    }

    private static readonly Dictionary<string, object> s_noHeaders = [];

    private static readonly Dictionary<string, (bool MessagePack, byte[] Bytes, Outcome Expected)> s_cases = new()
    {
        ["json: broken JSON"] = (false, Json("""{"type":1,"target":"""), Outcome.Closed),
        ["json: not an object"] = (false, Json("[1,2,3]"), Outcome.Closed),
        ["json: no type"] = (false, Json("""{"invocationId":"junk","target":"Subscribe","arguments":[]}"""), Outcome.Closed),
        ["json: type is a string"] = (false, Json("""{"type":"1","invocationId":"junk","target":"Subscribe","arguments":[]}"""), Outcome.Closed),
        ["json: invalid UTF-8"] = (false, [.. "{\"type\":1,\"invocationId\":\"junk\",\"target\":\""u8, 0xff, 0xfe, .. "\",\"arguments\":[]}"u8, 0x1e], Outcome.Dropped),
        ["json: deeply nested arguments"] = (false, Json(Invocation("Subscribe", new string('[', 5000) + new string(']', 5000))), Outcome.Closed),
        ["json: larger than the receive limit"] = (false, Json(Invocation("Subscribe", $"\"{new string('x', 64 * 1024)}\",0")), Outcome.Closed),
        ["json: unknown method"] = (false, Json(Invocation("NoSuchMethod", "")), Outcome.CompletionError),
        ["json: wrong argument types"] = (false, Json(Invocation("Subscribe", "42,\"x\"")), Outcome.CompletionError),
        ["json: too few arguments"] = (false, Json(Invocation("Subscribe", "\"build-1\"")), Outcome.CompletionError),
        ["json: huge integer"] = (false, Json(Invocation("Subscribe", "\"build-1\",99999999999999999999999999")), Outcome.CompletionError),
        ["json: huge float"] = (false, Json(Invocation("Subscribe", "\"build-1\",1e400")), Outcome.CompletionError),
        ["json: stream invocation of a plain method"] = (false, Json("""{"type":4,"invocationId":"junk","target":"Subscribe","arguments":["build-1",0]}"""), Outcome.CompletionError),
        ["json: unknown message type"] = (false, Json("""{"type":99,"invocationId":"junk"}"""), Outcome.Ignored),
        ["msgpack: truncated array"] = (true, Framed([0x95, 0x01]), Outcome.Closed),
        ["msgpack: never-used type code 0xc1"] = (true, Framed([0xc1]), Outcome.Closed),
        ["msgpack: not an array"] = (true, Framed(MessagePackSerializer.Serialize("hello")), Outcome.Closed),
        ["msgpack: map claiming 4 billion entries"] = (true, Framed([0x95, 0x01, 0xdf, 0xff, 0xff, 0xff, 0xff]), Outcome.Closed),
        ["msgpack: length prefix over 2 GB"] = (true, [.. VarInt(uint.MaxValue), 0x95], Outcome.Closed),
        ["msgpack: larger than the receive limit"] = (true, Pack(1, s_noHeaders, "junk", "Subscribe", new object?[] { new string('x', 64 * 1024), 0 }), Outcome.Closed),
        ["msgpack: unknown method"] = (true, Pack(1, s_noHeaders, "junk", "NoSuchMethod", Array.Empty<object>()), Outcome.CompletionError),
        ["msgpack: wrong argument types"] = (true, Pack(1, s_noHeaders, "junk", "Subscribe", new object?[] { 42, "x" }), Outcome.CompletionError),
        ["msgpack: huge integer"] = (true, Pack(1, s_noHeaders, "junk", "Subscribe", new object?[] { "build-1", ulong.MaxValue }), Outcome.CompletionError),
        ["msgpack: unknown message type"] = (true, Pack(99), Outcome.Ignored),
    };

    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    private LiveHub Hub => fixture.Hub;

    public static TheoryData<string> Cases => [.. s_cases.Keys];

    /// <summary>A JSON invocation <c>junk</c> of <paramref name="target"/> whose arguments array holds <paramref name="arguments"/> verbatim.</summary>
    private static string Invocation(string target, string arguments) =>
        $$"""{"type":1,"invocationId":"junk","target":"{{target}}","arguments":[{{arguments}}]}""";

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Junk_gets_signalrs_answer_and_changes_nothing_else(string name)
    {
        var (messagePack, bytes, expected) = s_cases[name];
        using var admin = new HttpClient { BaseAddress = Hub.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SecuredHub.AdminKey);
        var head = await admin.PublishSeqAsync("build-1", "task.heartbeat");
        var storeBefore = await admin.GetStringAsync("/events?after=0&limit=1000");
        await using var watcher = await SignalRClient.ConnectAsync(Hub.BaseAddress, messagePack, _timeout.Token,
            options => options.Headers["X-Api-Key"] = SecuredHub.ReaderAllKey);
        await watcher.Connection.InvokeAsync("Subscribe", "build-1", (long?)head, _timeout.Token);
        await using var raw = await ConnectAsync(Hub.BaseAddress, messagePack, SecuredHub.SubscriberKey, _timeout.Token);

        await raw.SendAsync(bytes);

        // An ignored message has no answer to wait for: the next answer is then the one to the follow-up subscribe.
        var answer = expected == Outcome.Ignored ? null : await raw.ReceiveAsync();
        switch (expected)
        {
            case Outcome.Closed:
                Assert.Equal(7, answer?.Type);
                AssertLeaksNothing(answer!.Error);
                Assert.Null(await raw.ReceiveAsync());
                break;
            case Outcome.Dropped:
                // A text frame that is not UTF-8 breaks the WebSocket protocol (RFC 6455 §8.1): the socket closes.
                Assert.Null(answer);
                break;
            case Outcome.CompletionError:
                Assert.Equal((3, "junk"), (answer?.Type, answer?.InvocationId));
                AssertLeaksNothing(answer!.Error);
                break;
        }
        Assert.Equal(storeBefore, await admin.GetStringAsync("/events?after=0&limit=1000"));
        if (expected is Outcome.CompletionError or Outcome.Ignored)
        {
            await AssertStillServesAsync(raw, admin, head);
        }

        var probe = await admin.PublishSeqAsync("build-1", "task.heartbeat");
        long seen;
        do
        {
            seen = SignalRClient.SeqOf((await watcher.NextAsync())!);
        }
        while (seen < probe);
        Assert.Equal(probe, seen);
    }

    /// <summary>The error is there, and is SignalR's generic text or the hub's own message: no stack trace, no exception dump.</summary>
    private static void AssertLeaksNothing(string? error)
    {
        Assert.False(string.IsNullOrEmpty(error), "the hub answered without an error");
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("PushHub.", error, StringComparison.Ordinal);
        Assert.DoesNotContain(SecuredHub.SubscriberKey, error, StringComparison.Ordinal);
    }

    /// <summary>After the junk, the same connection subscribes and receives an event.</summary>
    private static async Task AssertStillServesAsync(RawSignalRSocket raw, HttpClient admin, long head)
    {
        await raw.SendAsync(raw.Subscribe("ok", "build-1", head));
        var completion = await raw.ReceiveAsync();
        Assert.Equal((3, "ok", (string?)null), (completion?.Type, completion?.InvocationId, completion?.Error));
        await admin.PublishSeqAsync("build-1", "task.heartbeat");
        var delivered = await raw.ReceiveAsync();
        Assert.Equal((1, "event"), (delivered?.Type, delivered?.Target));
    }

    public void Dispose() => _timeout.Dispose();
}
