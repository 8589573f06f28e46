namespace PushHub.Storage.Sqlite;

/// <summary>A row of the <c>webhooks</c> table, and its mapping to and from <see cref="WebhookRecord"/>.</summary>
internal sealed class WebhookRow
{
    public const string Columns =
        "id AS Id, url AS Url, format AS Format, task_id AS TaskPattern, types AS Types, options AS OptionsJson, template AS Template, " +
        "fallback_id AS FallbackWebhookId, fallback_after_ms AS FallbackAfterMs, coalesce_progress AS CoalesceProgress, " +
        "description AS Description, secret AS Secret, previous_secret AS PreviousSecret, previous_until AS PreviousUntil, " +
        "enabled AS Enabled, disabled_reason AS DisabledReason, created_at AS CreatedAt, updated_at AS UpdatedAt";

    /// <summary>Every column, as named parameters of <see cref="From"/>.</summary>
    public const string Values =
        "@Id, @Url, @Format, @TaskPattern, @Types, @OptionsJson, @Template, @FallbackWebhookId, @FallbackAfterMs, @CoalesceProgress, " +
        "@Description, @Secret, @PreviousSecret, @PreviousUntil, @Enabled, @DisabledReason, @CreatedAt, @UpdatedAt";

    public const string ColumnNames =
        "id, url, format, task_id, types, options, template, fallback_id, fallback_after_ms, coalesce_progress, " +
        "description, secret, previous_secret, previous_until, enabled, disabled_reason, created_at, updated_at";

    public string Id { get; set; } = "";
    public string Url { get; set; } = "";
    public string Format { get; set; } = "standard";
    public string? TaskPattern { get; set; }
    /// <summary>Space-separated; null for every type.</summary>
    public string? Types { get; set; }
    public string? OptionsJson { get; set; }
    public string? Template { get; set; }
    public string? FallbackWebhookId { get; set; }
    public long? FallbackAfterMs { get; set; }
    public bool CoalesceProgress { get; set; }
    public string? Description { get; set; }
    public string Secret { get; set; } = "";
    public string? PreviousSecret { get; set; }
    public long? PreviousUntil { get; set; }
    public bool Enabled { get; set; }
    public string? DisabledReason { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }

    public WebhookRecord ToRecord() => new()
    {
        Id = Id,
        Url = Url,
        Format = Format,
        TaskPattern = TaskPattern,
        Types = Types?.Split(' ', StringSplitOptions.RemoveEmptyEntries),
        OptionsJson = OptionsJson,
        Template = Template,
        FallbackWebhookId = FallbackWebhookId,
        FallbackAfter = FallbackAfterMs is { } after ? TimeSpan.FromMilliseconds(after) : null,
        CoalesceProgress = CoalesceProgress,
        Description = Description,
        Secret = Secret,
        PreviousSecret = PreviousSecret,
        PreviousSecretUntil = PreviousUntil is { } until ? DateTimeOffset.FromUnixTimeMilliseconds(until) : null,
        Enabled = Enabled,
        DisabledReason = DisabledReason,
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
        UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt),
    };

    public static WebhookRow From(WebhookRecord webhook) => new()
    {
        Id = webhook.Id,
        Url = webhook.Url,
        Format = webhook.Format,
        TaskPattern = webhook.TaskPattern,
        Types = webhook.Types is null ? null : string.Join(' ', webhook.Types),
        OptionsJson = webhook.OptionsJson,
        Template = webhook.Template,
        FallbackWebhookId = webhook.FallbackWebhookId,
        FallbackAfterMs = webhook.FallbackAfter is { } after ? (long)after.TotalMilliseconds : null,
        CoalesceProgress = webhook.CoalesceProgress,
        Description = webhook.Description,
        Secret = webhook.Secret,
        PreviousSecret = webhook.PreviousSecret,
        PreviousUntil = webhook.PreviousSecretUntil?.ToUnixTimeMilliseconds(),
        Enabled = webhook.Enabled,
        DisabledReason = webhook.DisabledReason,
        CreatedAt = webhook.CreatedAt.ToUnixTimeMilliseconds(),
        UpdatedAt = webhook.UpdatedAt.ToUnixTimeMilliseconds(),
    };

    /// <summary>The SQL condition, on a table with <c>task_id</c>, that <paramref name="pattern"/> admits (see
    /// <see cref="Security.TaskPattern"/>), with its parameters <c>@pattern</c> and <c>@prefix</c>.</summary>
    public static string PatternCondition(string? pattern) => pattern switch
    {
        null or Security.TaskPattern.All => "1",
        _ when pattern.EndsWith('*') => "substr(task_id, 1, length(@prefix)) = @prefix",
        _ => "task_id = @pattern",
    };

    public static string? PatternPrefix(string? pattern) => pattern is not null && pattern.EndsWith('*') ? pattern[..^1] : null;
}
