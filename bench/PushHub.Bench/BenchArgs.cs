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

    private BenchArgs(List<string> positional, Dictionary<string, string> options, IReadOnlyList<Uri> urls, HubTarget target)
    {
        _positional = positional;
        _options = options;
        Urls = urls;
        Target = target;
    }

    /// <summary>The hub or Nchan base address (the first positional value, or <c>--url</c>); a cluster's first node.</summary>
    public Uri Url => Urls[0];

    /// <summary>
    /// Every address given, comma-separated: one server, or the nodes of one cluster (three PushHub nodes on one
    /// Redis), over which a scenario spreads its publishers and subscribers.
    /// </summary>
    public IReadOnlyList<Uri> Urls { get; }

    /// <summary>"http://a" or "http://a, http://b, http://c", for the output.</summary>
    public string Where => string.Join(", ", Urls.Select(u => u.ToString().TrimEnd('/')));

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
        var addresses = options.GetValueOrDefault("--url") ?? (positional.Count > 0 ? positional[0] : defaultUrl);
        var urls = new List<Uri>();
        foreach (var address in addresses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var url))
            {
                Console.Error.WriteLine($"{address} is not an absolute URL (e.g. http://127.0.0.1:5398, or several: http://127.0.0.1:5391,http://127.0.0.1:5392)");
                return null;
            }
            if (!IPAddress.TryParse(url.Host, out var ip) ? url.Host != "localhost" : !IPAddress.IsLoopback(ip))
            {
                Console.Error.WriteLine("The load generator only sends to loopback addresses.");
                return null;
            }
            urls.Add(url);
        }
        if (urls.Count == 0)
        {
            Console.Error.WriteLine("no URL given (e.g. http://127.0.0.1:5398)");
            return null;
        }
        ServerKind? kind = options.GetValueOrDefault("--target", "pushhub") switch
        {
            // A cluster's nodes are PushHub nodes: the same endpoints and answers, several addresses.
            "pushhub" or "cluster" => ServerKind.PushHub,
            "nchan" => ServerKind.Nchan,
            "bare" => ServerKind.Bare,
            _ => null,
        };
        if (kind is null)
        {
            Console.Error.WriteLine("--target must be pushhub, cluster, nchan or bare");
            return null;
        }
        if (urls.Count > 1 && kind != ServerKind.PushHub)
        {
            Console.Error.WriteLine("several URLs are a PushHub cluster's nodes: --target pushhub or cluster");
            return null;
        }
        return new BenchArgs(positional, options, urls, new HubTarget(kind.Value, urls.Count));
    }

    /// <summary>
    /// One client per address, all over <paramref name="handler"/> (its pool keeps each node's connections apart),
    /// none disposing it: node <i>i</i>'s client is <c>[i]</c>.
    /// </summary>
    public HttpClient[] Clients(HttpMessageHandler handler) =>
        Urls.Select(url => new HttpClient(handler, disposeHandler: false) { BaseAddress = url, Timeout = Timeout.InfiniteTimeSpan }).ToArray();

    /// <summary>An integer from an option or a positional place (0 is the address), else <paramref name="fallback"/>.</summary>
    public int Int(string option, int position, int fallback)
    {
        var text = _options.GetValueOrDefault(option) ?? (position > 0 && position < _positional.Count ? _positional[position] : null);
        return text is null ? fallback : int.Parse(text, CultureInfo.InvariantCulture);
    }

    /// <summary>An option's value, else <paramref name="fallback"/>.</summary>
    public string? Option(string name, string? fallback = null) => _options.GetValueOrDefault(name) ?? fallback;
}
