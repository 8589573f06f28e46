namespace PushHub.Observability;

/// <summary>The <c>Logs:Format</c> setting: <c>text</c> (default) or <c>json</c>.</summary>
public static class LogFormat
{
    public const string Key = "Logs:Format";

    /// <summary>The one line per request (the path only: query strings may carry access tokens, which never reach the logs).</summary>
    public const string RequestTemplate = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms";

    public static bool IsJson(IConfiguration configuration) => configuration[Key] switch
    {
        null or "" or "text" => false,
        "json" => true,
        var other => throw new InvalidOperationException($"{Key} must be text or json; got '{other}'."),
    };
}
