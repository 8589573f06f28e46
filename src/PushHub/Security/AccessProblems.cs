using Microsoft.AspNetCore.Http.HttpResults;
using PushHub.Http;

namespace PushHub.Security;

/// <summary>The 401, 403 and 429 problems, each with a <c>detail</c> that says what to do.</summary>
public static class AccessProblems
{
    public const string CredentialsHint =
        "Send an API key as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>', or a subscribe token as ?access_token=.";

    public static ProblemHttpResult Unauthorized(string detail) =>
        Problems.Status(StatusCodes.Status401Unauthorized, "Unauthorized", detail);

    public static ProblemHttpResult Forbidden(string detail) =>
        Problems.Status(StatusCodes.Status403Forbidden, "Forbidden", detail);

    /// <summary>403 for a task outside the caller's patterns.</summary>
    public static ProblemHttpResult TaskForbidden(string action, string taskId) =>
        Forbidden($"This key may not {action} task '{taskId}': it is outside the key's task patterns.");

    /// <summary>403 for a request that would read every task without <c>*</c>.</summary>
    public static ProblemHttpResult AllTasksForbidden(string what) =>
        Forbidden($"{what} reads every task, which needs a key whose tasks include '*'; name the tasks you may read with task=<id>.");

    public static ProblemHttpResult TooManyRequests(int retryAfterSeconds) =>
        Problems.Status(StatusCodes.Status429TooManyRequests, "Too many requests",
            $"This key has used up its publish rate (RateLimiting); retry after {retryAfterSeconds} s.");
}
