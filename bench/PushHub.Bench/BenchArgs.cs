using System.Globalization;
using System.Net;

namespace PushHub.Bench;

/// <summary>
/// A scenario's command line: positional values and <c>--name value</c> options, in any order. Refuses a hub
/// address that is not loopback, so the load generator cannot be pointed at someone else's server.
/// </summary>
internal sealed class BenchArgs
{
    private readonly List<string> _positional;
    private readonly Dictionary<string, string> _options;

    private BenchArgs(List<string> positional, Dictionary<string, string> options, Uri url, HubTarget target)
    {
        _positional = positional;
        _options = options;
        Url = url;
        Target = target;
    }

    /// <summary>The hub or Nchan base address (the first positional value, or <c>--url</c>).</summary>
    public Uri Url { get; }

    /// <summary>Which server the client talks to: the endpoints and answers differ, the measurement does not.</summary>
    public HubTarget Target { get; }

    /// <summary>Parses <paramref name="args"/>; null (with the reason on stderr) when they are unusable.</summary>
    public static BenchArgs? Parse(string[] args, string defaultUrl = "http://127.0.0.1:5080")
    {
        var positional = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                options[args[i]] = args[++i];
            }
            else
            {
                positional.Add(args[i]);
            }
        }
        var address = options.GetValueOrDefault("--url") ?? (positional.Count > 0 ? positional[0] : defaultUrl);
        if (address.Contains(',', StringComparison.Ordinal))
        {
            // The seam of a later cluster column (bench/compare-nchan.sh, target_urls): spreading over the nodes.
            Console.Error.WriteLine("several URLs (a cluster's nodes) are not supported yet: give one URL");
            return null;
        }
        if (!Uri.TryCreate(address, UriKind.Absolute, out var url))
        {
            Console.Error.WriteLine($"{address} is not an absolute URL (e.g. http://127.0.0.1:5398)");
            return null;
        }
        if (!IPAddress.TryParse(url.Host, out var ip) ? url.Host != "localhost" : !IPAddress.IsLoopback(ip))
        {
            Console.Error.WriteLine("The load generator only sends to loopback addresses.");
            return null;
        }
        ServerKind? kind = options.GetValueOrDefault("--target", "pushhub") switch
        {
            "pushhub" => ServerKind.PushHub,
            "nchan" => ServerKind.Nchan,
            "bare" => ServerKind.Bare,
            _ => null,
        };
        if (kind is null)
        {
            Console.Error.WriteLine("--target must be pushhub, nchan or bare");
            return null;
        }
        return new BenchArgs(positional, options, url, new HubTarget(kind.Value));
    }

    /// <summary>An integer from an option or a positional place (0 is the address), else <paramref name="fallback"/>.</summary>
    public int Int(string option, int position, int fallback)
    {
        var text = _options.GetValueOrDefault(option) ?? (position > 0 && position < _positional.Count ? _positional[position] : null);
        return text is null ? fallback : int.Parse(text, CultureInfo.InvariantCulture);
    }

    /// <summary>An option's value, else <paramref name="fallback"/>.</summary>
    public string? Option(string name, string? fallback = null) => _options.GetValueOrDefault(name) ?? fallback;
}
