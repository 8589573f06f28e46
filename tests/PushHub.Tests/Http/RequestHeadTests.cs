using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using PushHub.Http;

namespace PushHub.Tests.Http;

/// <summary>What the connection handler's head parser accepts; anything else goes to Kestrel, which is strict on its own.</summary>
public sealed class RequestHeadTests
{
    private static readonly KestrelServerLimits Defaults = new();

    [Fact]
    public void A_plain_head_gives_its_host_query_headers_and_length()
    {
        var text = "GET /events/sse?task=a&after=3 HTTP/1.1\r\nHost: hub:5080\r\nAccept: text/event-stream\r\nLast-Event-ID:  7 \r\n\r\nGET /next";
        var head = RequestHead.TryParse(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)), Defaults)!;

        Assert.Equal(HeadTarget.Sse, head.Target);
        Assert.False(head.Close);
        Assert.Equal("hub:5080", head.Host);
        Assert.Equal("?task=a&after=3", head.Query);
        Assert.Equal([new("Host", "hub:5080"), new("Accept", "text/event-stream"), new("Last-Event-ID", "7")], head.Headers);
        Assert.Equal(text.IndexOf("GET /next", StringComparison.Ordinal), head.Length);
    }

    [Theory]
    [InlineData("GET /events?after=3&wait=30 HTTP/1.1\r\nHost: h\r\n\r\n", "?after=3&wait=30", false)]
    [InlineData("GET /events HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "", true)]
    [InlineData("GET /events?after=0 HTTP/1.1\r\nHost: h\r\nconnection: Keep-Alive\r\n\r\n", "?after=0", false)]
    public void A_poll_head_gives_its_query_and_whether_it_closes(string text, string query, bool close)
    {
        var head = RequestHead.TryParse(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)), Defaults)!;
        Assert.Equal(HeadTarget.Poll, head.Target);
        Assert.Equal("/events", head.Path);
        Assert.Equal(query, head.Query);
        Assert.Equal(close, head.Close);
    }

    [Fact]
    public void A_head_across_buffer_segments_is_read_whole()
    {
        var bytes = Encoding.ASCII.GetBytes("GET /events/sse HTTP/1.1\r\nHost: h\r\n\r\n");
        var first = new Segment(bytes.AsMemory(0, 10));
        var last = first.Append(bytes.AsMemory(10));
        var head = RequestHead.TryParse(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length), Defaults)!;
        Assert.Equal("", head.Query);
        Assert.Equal(bytes.Length, head.Length);
    }

    [Theory]
    [InlineData("GET /events/sse HTTP/1.1\r\nHost: h\r\n")] // not complete yet
    [InlineData("HEAD /events/sse HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events/sse HTTP/1.0\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events/sse HTTP/1.1 \r\nHost: h\r\n\r\n")]
    [InlineData("GET  /events/sse HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events/sse/x HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events/ HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /eventsx HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events/x?a=b HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("POST /events HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events?a=b#f HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("GET /events/ssex HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events/%73se HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events/sse?a=b#frag HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events/sse?a=\u00e9 HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events/sse HTTP/1.1\r\n\r\n")] // no Host
    [InlineData("GET /events/sse HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events/sse HTTP/1.1\r\nHost:\r\n\r\n")]
    [InlineData("GET /events/sse HTTP/1.1\r\nHost: a b\r\n\r\n")]
    [InlineData("GET /events/sse HTTP/1.1\r\nHost: h\r\nX-A : b\r\n\r\n")] // whitespace before the colon
    [InlineData("GET /events/sse HTTP/1.1\r\nHost: h\r\nX-A: b\r\n c\r\n\r\n")] // obs-fold
    [InlineData("GET /events/sse HTTP/1.1\r\nHost: h\r\nX-A: b\nX-B: c\r\n\r\n")] // a bare LF
    [InlineData("GET /events/sse HTTP/1.1\r\nHost: h\r\nX-A: b\u0001\r\n\r\n")]
    [InlineData("GET /events/sse HTTP/1.1\r\nHost: h\r\nX-A: caf\u00e9\r\n\r\n")]
    [InlineData("GET /events/sse HTTP/1.1\r\nHost: h\r\n: b\r\n\r\n")]
    [InlineData("GET /events/sse HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("GET /events/sse HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("GET /events/sse HTTP/1.1\r\nHost: h\r\nOrigin: https://a.example\r\n\r\n")]
    [InlineData("GET /events/sse HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n\r\n")]
    [InlineData("GET /events/sse HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n\r\n")]
    [InlineData("GET /events/sse HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    public void A_head_it_does_not_take_is_left_alone(string text)
    {
        Assert.Null(RequestHead.TryParse(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text)), Defaults));
    }

    [Fact]
    public void A_head_over_Kestrels_limits_is_left_alone()
    {
        var limits = new KestrelServerLimits { MaxRequestHeaderCount = 10, MaxRequestLineSize = 64, MaxRequestHeadersTotalSize = 1024 };
        string Head(int headers, int lineLength = 0, int valueLength = 1) =>
            $"GET /events/sse?q={new string('a', lineLength)} HTTP/1.1\r\nHost: h\r\n"
            + string.Concat(Enumerable.Range(1, headers - 1).Select(i => $"X-{i}: {new string('v', valueLength)}\r\n")) + "\r\n";
        RequestHead? Parse(string text) => RequestHead.TryParse(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)), limits);

        Assert.NotNull(Parse(Head(10)));
        Assert.Null(Parse(Head(11)));
        Assert.NotNull(Parse(Head(1, lineLength: 64 - "GET /events/sse?q= HTTP/1.1\r\n".Length)));
        Assert.Null(Parse(Head(1, lineLength: 65 - "GET /events/sse?q= HTTP/1.1\r\n".Length)));
        Assert.Null(Parse(Head(2, valueLength: 1024)));
        Assert.Null(Parse("GET /events/sse HTTP/1.1\r\nHost: h\r\nX-Big: " + new string('a', RequestHead.MaxBytes) + "\r\n\r\n"));
    }

    [Theory]
    [InlineData("hub", true)]
    [InlineData("hub.example:5080", true)]
    [InlineData("127.0.0.1:80", true)]
    [InlineData("[::1]:5080", true)]
    [InlineData("[fe80::1%25eth0]", false)]
    [InlineData(":5080", false)]
    [InlineData("a:b", false)]
    [InlineData("h:1:2", false)]
    [InlineData("h:123456", false)]
    [InlineData("h:", false)]
    [InlineData("[zz]", false)]
    [InlineData("[]", false)]
    [InlineData("x]", false)]
    [InlineData("[::1]x", false)]
    [InlineData("a b", false)]
    public void Only_plain_hosts_are_taken(string host, bool taken)
    {
        var head = RequestHead.TryParse(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes($"GET /events/sse HTTP/1.1\r\nHost: {host}\r\n\r\n")), Defaults);
        Assert.Equal(taken, head is not null);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
