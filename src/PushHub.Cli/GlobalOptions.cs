using System.CommandLine;
using PushHub.Cli.Hub;

namespace PushHub.Cli;

/// <summary><c>--url</c>, <c>--key</c> and <c>--json</c>: accepted by every command, before or after its name.</summary>
public sealed class GlobalOptions
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public Option<string?> Url { get; } = new("--url")
    {
        Description = $"The hub's base address [env: PUSHHUB_URL, default: {DefaultUrl}]",
        Recursive = true,
    };

    public Option<string?> Key { get; } = new("--key")
    {
        Description = "An API key, sent as 'Authorization: Bearer <key>' [env: PUSHHUB_KEY]",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print the hub's JSON as it came (tail: one event per line) instead of tables",
        Recursive = true,
    };

    public void AddTo(RootCommand root)
    {
        root.Options.Add(Url);
        root.Options.Add(Key);
        root.Options.Add(Json);
    }

    /// <summary>The hub's address from <c>--url</c>, else <c>PUSHHUB_URL</c>, else the default; always ending in '/'.</summary>
    public Uri ResolveUrl(ParseResult result, CliContext context)
    {
        var text = result.GetValue(Url) ?? NullIfEmpty(context.GetEnvironmentVariable("PUSHHUB_URL")) ?? DefaultUrl;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"--url '{text}' is not an http:// or https:// address such as {DefaultUrl}");
        }
        // A base path such as http://host/pushhub must keep its last segment when relative paths are resolved.
        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    /// <summary>The key from <c>--key</c>, else <c>PUSHHUB_KEY</c>, else none (an open hub).</summary>
    public string? ResolveKey(ParseResult result, CliContext context) =>
        NullIfEmpty(result.GetValue(Key)) ?? NullIfEmpty(context.GetEnvironmentVariable("PUSHHUB_KEY"));

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
