namespace PushHub.Security;

/// <summary>Who may use the hub, bound from the <c>Auth</c> section; checked at start by <see cref="AuthOptionsValidator"/>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>The API keys. None at all runs the hub open (see <see cref="AuthMode"/>).</summary>
    public List<ApiKeyOptions> ApiKeys { get; set; } = [];

    /// <summary>Lets the hub run open (no keys) on a non-loopback address; without it the hub refuses to start there.</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>The longest lifetime a subscribe token may ask for, in seconds.</summary>
    public int MaxTokenTtlSeconds { get; set; } = 86400;

    /// <summary>
    /// The HMAC key signing subscribe tokens (at least 32 characters). When empty the hub generates one once and keeps
    /// it in the data directory, next to the database, readable by its owner only.
    /// </summary>
    public string? TokenSigningKey { get; set; }
}

/// <summary>One API key: <c>{"name","key","role","tasks"}</c>.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>Who holds the key; shown in logs and used as the rate-limit partition, never the key itself.</summary>
    public string Name { get; set; } = "";

    /// <summary>The secret a client sends as <c>Authorization: Bearer</c> or <c>X-Api-Key</c>.</summary>
    public string Key { get; set; } = "";

    /// <summary><c>admin</c>, <c>publisher</c> or <c>subscriber</c>; see <see cref="HubRoles"/>.</summary>
    public string Role { get; set; } = "";

    /// <summary>Task patterns: an exact task id, a prefix ending in <c>*</c>, or <c>*</c> for all. Omitted means <c>*</c>.</summary>
    public List<string>? Tasks { get; set; }

    /// <summary>The patterns in force: <see cref="Tasks"/>, or <c>*</c> when none are listed.</summary>
    public IReadOnlyList<string> EffectiveTasks => Tasks is { Count: > 0 } tasks ? tasks : [TaskPattern.All];
}
