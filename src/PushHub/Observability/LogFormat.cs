namespace PushHub.Observability;

/// <summary>The <c>Logs:Format</c> setting: <c>text</c> (default) or <c>json</c>.</summary>
public static class LogFormat
{
    public const string Key = "Logs:Format";

    public static bool IsJson(IConfiguration configuration) => configuration[Key] switch
    {
        null or "" or "text" => false,
        "json" => true,
        var other => throw new InvalidOperationException($"{Key} must be text or json; got '{other}'."),
    };
}
