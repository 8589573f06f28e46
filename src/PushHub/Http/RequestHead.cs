using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace PushHub.Http;

/// <summary>What a <see cref="RequestHead"/> asks for.</summary>
internal enum HeadTarget
{
    /// <summary><c>GET /events/sse</c>: a Server-Sent Events stream.</summary>
    Sse,

    /// <summary><c>GET /events</c>: a poll or long-poll.</summary>
    Poll,
}

/// <summary>
/// The head of an HTTP/1.1 <c>GET /events/sse</c> or <c>GET /events</c> request, read by
/// <see cref="HubConnectionHandler"/> before Kestrel sees it. Only the plainest form is accepted: anything this parser does not take (another method,
/// path or version, a body, an <c>Upgrade</c>, an <c>Origin</c> that CORS must answer, a folded, oversized or
/// non-ASCII header, a missing or repeated <c>Host</c>, a head split across reads) is left to Kestrel untouched, so
/// every error answer stays the pipeline's own and nothing Kestrel would reject is served here.
/// </summary>
internal sealed class RequestHead
{
    /// <summary>The paths served; matched exactly (the endpoints' case-insensitive variants go to the pipeline).</summary>
    public const string SsePath = "/events/sse";

    /// <inheritdoc cref="SsePath"/>
    public const string PollPath = "/events";

    /// <summary>At most this many bytes of head (less where Kestrel's limits are lower).</summary>
    public const int MaxBytes = 8192;

    private static ReadOnlySpan<byte> Prefix => "GET /events"u8;
    private static ReadOnlySpan<byte> Version => " HTTP/1.1\r\n"u8;
    private static ReadOnlySpan<byte> End => "\r\n\r\n"u8;

    private readonly List<KeyValuePair<string, string>> _headers;

    private RequestHead(HeadTarget target, int length, string host, string query, List<KeyValuePair<string, string>> headers)
    {
        Target = target;
        Length = length;
        Host = host;
        Query = query;
        _headers = headers;
    }

    public HeadTarget Target { get; }

    /// <summary><see cref="SsePath"/> or <see cref="PollPath"/>.</summary>
    public string Path => Target == HeadTarget.Sse ? SsePath : PollPath;

    /// <summary>Asks to close the connection after the answer (<c>Connection: close</c>).</summary>
    public bool Close { get; private init; }

    /// <summary>Bytes of the head, its final empty line included: what the handler consumes.</summary>
    public int Length { get; }

    public string Host { get; }

    /// <summary>The query string with its leading <c>?</c>, or empty.</summary>
    public string Query { get; }

    /// <summary>Every header line in order, names as sent.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    /// <summary>
    /// The values of every header named <paramref name="name"/> (case-insensitive), in order: what the request's header
    /// dictionary would hold for it.
    /// </summary>
    public StringValues Values(string name)
    {
        var values = StringValues.Empty;
        foreach (var (header, value) in _headers)
        {
            if (header.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                values = StringValues.Concat(values, value);
            }
        }
        return values;
    }

    /// <summary>The query's parameters, parsed as the request's own <c>Query</c> would parse them.</summary>
    public IQueryCollection ParseQuery() =>
        QueryHelpers.ParseNullableQuery(Query) is { } parameters ? new QueryCollection(parameters) : QueryCollection.Empty;

    /// <summary>The head again, as a client would send it: the request line, each header as <c>name: value</c>.</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        var text = new StringBuilder("GET ").Append(Path).Append(Query).Append(" HTTP/1.1\r\n");
        foreach (var (name, value) in Headers)
        {
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        output.Write(Encoding.ASCII.GetBytes(text.Append("\r\n").ToString()));
    }

    /// <summary>
    /// The head at the start of <paramref name="buffer"/>, or null when it is not one this handler serves, or when
    /// it is over any of Kestrel's <paramref name="limits"/> (Kestrel then answers it as it answers any such head).
    /// </summary>
    public static RequestHead? TryParse(in ReadOnlySequence<byte> buffer, KestrelServerLimits limits)
    {
        if (buffer.Length < Prefix.Length + Version.Length + End.Length)
        {
            return null;
        }
        var window = buffer.Slice(0, Math.Min(buffer.Length, Math.Min(MaxBytes, limits.MaxRequestHeadersTotalSize)));
        if (window.IsSingleSegment)
        {
            return TryParse(window.FirstSpan, limits);
        }
        var copy = ArrayPool<byte>.Shared.Rent((int)window.Length);
        try
        {
            window.CopyTo(copy);
            return TryParse(copy.AsSpan(0, (int)window.Length), limits);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    internal static RequestHead? TryParse(ReadOnlySpan<byte> bytes, KestrelServerLimits limits)
    {
        var end = bytes.IndexOf(End);
        if (end < 0 || !bytes.StartsWith(Prefix))
        {
            return null;
        }
        var length = end + End.Length;
        var head = bytes[..(end + 2)]; // every line with its CRLF, without the empty one

        // The request line: GET /events/sse[?query] HTTP/1.1 or GET /events[?query] HTTP/1.1
        var lineEnd = head.IndexOf("\r\n"u8);
        if (lineEnd + 2 > limits.MaxRequestLineSize)
        {
            return null;
        }
        var targetEnd = head[..(lineEnd + 2)].IndexOf(Version);
        if (targetEnd < 0 || targetEnd + Version.Length != lineEnd + 2)
        {
            return null;
        }
        var target = head[..targetEnd][4..]; // after "GET "
        var queryStart = target.IndexOf((byte)'?');
        var path = queryStart < 0 ? target : target[..queryStart];
        HeadTarget kind;
        if (path.SequenceEqual("/events/sse"u8))
        {
            kind = HeadTarget.Sse;
        }
        else if (path.SequenceEqual("/events"u8))
        {
            kind = HeadTarget.Poll;
        }
        else
        {
            return null;
        }
        if (!IsTarget(target))
        {
            return null;
        }
        var query = Encoding.ASCII.GetString(target[path.Length..]);
        var close = false;

        string? host = null;
        var headers = new List<KeyValuePair<string, string>>();
        var rest = head[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            var eol = rest.IndexOf("\r\n"u8);
            var line = rest[..eol];
            rest = rest[(eol + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || headers.Count == limits.MaxRequestHeaderCount || !IsToken(line[..colon]))
            {
                return null; // no name, whitespace before the colon, obs-fold (a line starting with a space), too many
            }
            var value = Trim(line[(colon + 1)..]);
            if (!IsFieldValue(value))
            {
                return null;
            }
            var name = Encoding.ASCII.GetString(line[..colon]);
            var text = Encoding.ASCII.GetString(value);
            switch (Classify(name, text))
            {
                case Kind.Refused:
                    return null;
                case Kind.Close:
                    close = true;
                    break;
                case Kind.Host:
                    if (host is not null || !IsHost(value))
                    {
                        return null;
                    }
                    host = text;
                    break;
            }
            headers.Add(new(name, text));
        }
        return host is null ? null : new RequestHead(kind, length, host, query, headers) { Close = close };
    }

    private enum Kind { Other, Host, Close, Refused }

    // Headers that ask for something only the pipeline does: a body, a protocol switch, CORS, an expectation, or a
    // connection option other than keep-alive/close.
    private static Kind Classify(string name, string value)
    {
        if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
        {
            return Kind.Host;
        }
        if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
        {
            return value.Equals("close", StringComparison.OrdinalIgnoreCase) ? Kind.Close
                : value.Equals("keep-alive", StringComparison.OrdinalIgnoreCase) ? Kind.Other
                : Kind.Refused;
        }
        return name.ToLowerInvariant() switch
        {
            "content-length" or "transfer-encoding" or "upgrade" or "origin" or "expect" or "http2-settings" or "te" => Kind.Refused,
            _ => Kind.Other,
        };
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> value)
    {
        while (!value.IsEmpty && value[0] is (byte)' ' or (byte)'\t')
        {
            value = value[1..];
        }
        while (!value.IsEmpty && value[^1] is (byte)' ' or (byte)'\t')
        {
            value = value[..^1];
        }
        return value;
    }

    // The request target (its path already matched): visible ASCII without a fragment.
    private static bool IsTarget(ReadOnlySpan<byte> target)
    {
        foreach (var b in target)
        {
            if (b is <= 0x20 or >= 0x7F or (byte)'#')
            {
                return false;
            }
        }
        return true;
    }

    // RFC 9110 tchar.
    private static bool IsToken(ReadOnlySpan<byte> name)
    {
        foreach (var b in name)
        {
            var ok = b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
                || "!#$%&'*+-.^_`|~"u8.Contains(b);
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    // Printable ASCII, spaces and tabs inside; no control characters, no obs-text.
    private static bool IsFieldValue(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (b is (< 0x20 and not (byte)'\t') or >= 0x7F)
            {
                return false;
            }
        }
        return true;
    }

    // A host name or IPv4 address, or a bracketed IPv6 literal, each with an optional port: the forms Kestrel's
    // own Host check lets through that a client of a hub sends (anything else is Kestrel's to answer).
    private static bool IsHost(ReadOnlySpan<byte> value)
    {
        ReadOnlySpan<byte> rest;
        if (!value.IsEmpty && value[0] == (byte)'[')
        {
            var close = value.IndexOf((byte)']');
            if (close < 2)
            {
                return false;
            }
            foreach (var b in value[1..close])
            {
                if (!(char.IsAsciiHexDigit((char)b) || b is (byte)':' or (byte)'.'))
                {
                    return false;
                }
            }
            rest = value[(close + 1)..];
        }
        else
        {
            var name = value.IndexOf((byte)':') is var colon and >= 0 ? value[..colon] : value;
            if (name.IsEmpty)
            {
                return false;
            }
            foreach (var b in name)
            {
                if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_'))
                {
                    return false;
                }
            }
            rest = value[name.Length..];
        }
        if (rest.IsEmpty)
        {
            return true;
        }
        var port = rest[1..];
        if (rest[0] != (byte)':' || port.Length is 0 or > 5)
        {
            return false;
        }
        foreach (var b in port)
        {
            if (!char.IsAsciiDigit((char)b))
            {
                return false;
            }
        }
        return true;
    }
}
