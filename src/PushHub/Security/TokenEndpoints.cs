using System.Text.Json;
using Microsoft.Extensions.Options;
using PushHub.Http;
using PushHub.Hub;

namespace PushHub.Security;

/// <summary><c>POST /tokens</c>: a subscribe token for tasks the caller may read.</summary>
public static class TokenEndpoints
{
    /// <summary>A token request is small; anything larger is refused before parsing.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public const int MaxTasks = 100;

    /// <summary>The lifetime when <c>ttl_seconds</c> is omitted (capped by <c>Auth:MaxTokenTtlSeconds</c>).</summary>
    public const int DefaultTtlSeconds = 3600;

    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = 16 };

    public static RouteGroupBuilder MapTokens(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/tokens").WithTags("Security");
        group.MapPost("", IssueAsync).WithName("IssueSubscribeToken").RequireAuthorization(HubPolicies.Publisher);
        return group;
    }

    /// <summary>The body of a <c>POST /tokens</c> answer.</summary>
    public sealed record TokenResponse(string Token, DateTimeOffset ExpiresAt);

    private static async Task<IResult> IssueAsync(HttpContext context, SubscribeTokens tokens, TaskAccess access, IOptions<AuthOptions> options)
    {
        var maxTtl = options.Value.MaxTokenTtlSeconds;
        if (!context.Request.HasJsonContentType())
        {
            return Problems.Status(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                "Send {\"tasks\":[...],\"ttl_seconds\":N} as JSON with Content-Type: application/json.");
        }
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            return Problems.TooLarge("body", $"is larger than {MaxBodyBytes} bytes");
        }
        if (await ReadLimitedAsync(context) is not { } body)
        {
            return Problems.TooLarge("body", $"is larger than {MaxBodyBytes} bytes");
        }

        var errors = new ValidationErrors();
        List<string> tasks = [];
        var ttl = Math.Min(DefaultTtlSeconds, maxTtl);
        try
        {
            using var document = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length), s_documentOptions);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Problems.Validation("body", "must be an object {\"tasks\":[...],\"ttl_seconds\":N}");
            }
            ReadTasks(root, tasks, errors);
            if (root.TryGetProperty("ttl_seconds", out var ttlElement))
            {
                if (ttlElement.ValueKind != JsonValueKind.Number || !ttlElement.TryGetInt32(out ttl) || ttl < 1 || ttl > maxTtl)
                {
                    errors.Add("ttl_seconds", $"must be a whole number from 1 to {maxTtl} (Auth:MaxTokenTtlSeconds)");
                }
            }
        }
        catch (JsonException exception)
        {
            return Problems.Validation("body", $"is not valid JSON: {exception.Message}");
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        if (tasks.FirstOrDefault(task => !access.CanReadPattern(context.User, task)) is { } denied)
        {
            return AccessProblems.TaskForbidden("issue a token for", denied);
        }

        var (token, expiresAt) = tokens.Issue(context.User, tasks, TimeSpan.FromSeconds(ttl));
        return TypedResults.Ok(new TokenResponse(token, expiresAt));
    }

    /// <summary>The body, or null when it is larger than <see cref="MaxBodyBytes"/> (chunked bodies have no length up front).</summary>
    private static async Task<MemoryStream?> ReadLimitedAsync(HttpContext context)
    {
        var body = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            if (body.Length + read > MaxBodyBytes)
            {
                return null;
            }
            body.Write(buffer, 0, read);
        }
        return body;
    }

    private static void ReadTasks(JsonElement root, List<string> tasks, ValidationErrors errors)
    {
        if (!root.TryGetProperty("tasks", out var element) || element.ValueKind != JsonValueKind.Array
            || element.GetArrayLength() is 0 or > MaxTasks)
        {
            errors.Add("tasks", $"must be an array of 1 to {MaxTasks} task ids or patterns");
            return;
        }
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && item.GetString() is { } pattern && TaskPattern.IsValid(pattern))
            {
                tasks.Add(pattern);
            }
            else
            {
                errors.Add("tasks", TaskPattern.Rule);
            }
        }
    }
}
