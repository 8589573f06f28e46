using System.Net;
using System.Net.Sockets;

namespace PushHub.Webhooks;

/// <summary>
/// Refuses webhook targets inside private networks, at registration and again at connect time on the
/// address actually dialled, so a host name that later resolves to a private address (DNS rebinding) gets nowhere.
/// </summary>
public static class SsrfGuard
{
    // IPv4 ranges that are not the public internet: RFC 6890 special-purpose registry, plus multicast and class E.
    private static readonly (IPAddress Network, int Prefix)[] s_blockedV4 =
    [
        (IPAddress.Parse("0.0.0.0"), 8), (IPAddress.Parse("10.0.0.0"), 8), (IPAddress.Parse("100.64.0.0"), 10),
        (IPAddress.Parse("127.0.0.0"), 8), (IPAddress.Parse("169.254.0.0"), 16), (IPAddress.Parse("172.16.0.0"), 12),
        (IPAddress.Parse("192.0.0.0"), 24), (IPAddress.Parse("192.0.2.0"), 24), (IPAddress.Parse("192.88.99.0"), 24),
        (IPAddress.Parse("192.168.0.0"), 16), (IPAddress.Parse("198.18.0.0"), 15), (IPAddress.Parse("198.51.100.0"), 24),
        (IPAddress.Parse("203.0.113.0"), 24), (IPAddress.Parse("224.0.0.0"), 4), (IPAddress.Parse("240.0.0.0"), 4),
    ];

    private static readonly (IPAddress Network, int Prefix)[] s_blockedV6 =
    [
        (IPAddress.IPv6None, 128), (IPAddress.IPv6Loopback, 128), (IPAddress.Parse("64:ff9b:1::"), 48),
        (IPAddress.Parse("100::"), 64), (IPAddress.Parse("2001::"), 23), (IPAddress.Parse("2001:db8::"), 32),
        (IPAddress.Parse("fc00::"), 7), (IPAddress.Parse("fe80::"), 10), (IPAddress.Parse("fec0::"), 10),
        (IPAddress.Parse("ff00::"), 8),
    ];

    private static readonly IPAddress s_nat64 = IPAddress.Parse("64:ff9b::");

    /// <summary>True when <paramref name="address"/> is not a public internet address.</summary>
    public static bool IsForbidden(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        else if (address.AddressFamily == AddressFamily.InterNetworkV6 && EmbeddedIPv4(address) is { } inner)
        {
            // NAT64 (64:ff9b::/96, RFC 6052) and 6to4 (2002::/16, RFC 3056) reach the IPv4 address they carry.
            return IsForbidden(inner);
        }
        else if (address.AddressFamily == AddressFamily.InterNetworkV6 && IsIPv4Compatible(address))
        {
            // ::a.b.c.d, the deprecated IPv4-compatible form (RFC 4291 2.5.5.1): never a public target.
            return true;
        }
        var ranges = address.AddressFamily == AddressFamily.InterNetwork ? s_blockedV4 : s_blockedV6;
        return ranges.Any(range => InRange(address, range.Network, range.Prefix));
    }

    /// <summary>
    /// Checks a URL at registration: the reason it is refused, or null. Literal addresses are checked here; host
    /// names are checked when connecting, on the addresses they then resolve to.
    /// </summary>
    public static string? Check(Uri url)
    {
        var host = url.IdnHost.TrimEnd('.');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return $"points at {host}, a loopback name; webhooks may only target public addresses (Webhooks:AllowPrivateNetworks lifts this)";
        }
        if (IPAddress.TryParse(url.HostNameType == UriHostNameType.IPv6 ? host.Trim('[', ']') : host, out var address) && IsForbidden(address))
        {
            return $"points at {address}, a loopback, private, link-local, multicast or reserved address; webhooks may only target public addresses (Webhooks:AllowPrivateNetworks lifts this)";
        }
        return null;
    }

    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/> that resolves the host, refuses forbidden addresses, and
    /// connects to the first allowed one.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken).ConfigureAwait(false);
        var allowed = allowPrivate ? addresses : addresses.Where(address => !IsForbidden(address)).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException(HttpRequestError.ConnectionError,
                $"Refused to connect to {endpoint.Host}: it resolves to {string.Join(", ", addresses.Select(a => a.ToString()))}, " +
                "not a public address (Webhooks:AllowPrivateNetworks lifts this)");
        }
        Exception? last = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException exception)
            {
                socket.Dispose();
                last = exception;
            }
        }
        throw new HttpRequestException(HttpRequestError.ConnectionError, $"Could not connect to {endpoint.Host}:{endpoint.Port}", last);
    }

    private static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        if (InRange(address, s_nat64, 96))
        {
            return new IPAddress(bytes.AsSpan(12, 4));
        }
        return bytes[0] == 0x20 && bytes[1] == 0x02 ? new IPAddress(bytes.AsSpan(2, 4)) : null;
    }

    private static bool IsIPv4Compatible(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 && !address.Equals(IPAddress.IPv6Loopback) && !address.Equals(IPAddress.IPv6None);
    }

    private static bool InRange(IPAddress address, IPAddress network, int prefix)
    {
        if (address.AddressFamily != network.AddressFamily)
        {
            return false;
        }
        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        var full = prefix / 8;
        if (!a.AsSpan(0, full).SequenceEqual(n.AsSpan(0, full)))
        {
            return false;
        }
        var rest = prefix % 8;
        if (rest == 0)
        {
            return true;
        }
        var mask = (byte)(0xFF << (8 - rest));
        return (a[full] & mask) == (n[full] & mask);
    }
}
