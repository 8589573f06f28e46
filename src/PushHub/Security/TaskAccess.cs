using System.Security.Claims;

namespace PushHub.Security;

/// <summary>
/// The per-task permission checks every endpoint and transport makes on the authenticated caller
/// (<c>HttpContext.User</c>): roles from <see cref="HubRoles"/>, tasks from the caller's patterns.
/// </summary>
public sealed class TaskAccess(AuthMode mode)
{
    /// <summary>True when no API keys are configured and everyone may do everything.</summary>
    public bool IsOpen => mode.IsOpen;

    /// <summary>May <paramref name="user"/> read events of <paramref name="taskId"/> (poll, stream, task state)?</summary>
    public bool CanRead(ClaimsPrincipal user, string taskId) =>
        user.IsInRole(HubRoles.Subscriber) && HubClaims.AnyTask(user, taskId, TaskPattern.Matches);

    /// <summary>May <paramref name="user"/> publish events to <paramref name="taskId"/>?</summary>
    public bool CanPublish(ClaimsPrincipal user, string taskId) =>
        user.IsInRole(HubRoles.Publisher) && HubClaims.AnyTask(user, taskId, TaskPattern.Matches);

    /// <summary>May <paramref name="user"/> publish to every task the pattern <paramref name="pattern"/> admits?</summary>
    public bool CanPublishPattern(ClaimsPrincipal user, string pattern) =>
        user.IsInRole(HubRoles.Publisher) && HubClaims.AnyTask(user, pattern, TaskPattern.Covers);

    /// <summary>May <paramref name="user"/> read every task (a subscription or poll with no task filter)?</summary>
    public bool CanReadAll(ClaimsPrincipal user) =>
        user.IsInRole(HubRoles.Subscriber) && HubClaims.AnyTask(user, TaskPattern.All, string.Equals);

    /// <summary>May <paramref name="user"/> read every task the pattern <paramref name="pattern"/> admits?</summary>
    public bool CanReadPattern(ClaimsPrincipal user, string pattern) =>
        user.IsInRole(HubRoles.Subscriber) && HubClaims.AnyTask(user, pattern, TaskPattern.Covers);

    /// <summary>
    /// The one check for a read path (poll, SSE, WebSocket, SignalR): null when <paramref name="user"/> may read
    /// <paramref name="taskIds"/>, else the 403 problem to answer. No task filter (null or empty) means every task,
    /// which needs the <c>*</c> pattern. Call it after authentication, e.g. <c>access.AuthorizeRead(context.User, tasks)</c>.
    /// </summary>
    public IResult? AuthorizeRead(ClaimsPrincipal user, IReadOnlyCollection<string>? taskIds, string what = "A subscription without task=")
    {
        if (taskIds is not { Count: > 0 })
        {
            return CanReadAll(user) ? null : AccessProblems.AllTasksForbidden(what);
        }
        return FirstUnreadable(user, taskIds) is { } denied ? AccessProblems.TaskForbidden("read", denied) : null;
    }

    /// <summary>The first of <paramref name="taskIds"/> that <paramref name="user"/> may not read, or null when all are allowed.</summary>
    public string? FirstUnreadable(ClaimsPrincipal user, IEnumerable<string> taskIds) =>
        taskIds.FirstOrDefault(taskId => !CanRead(user, taskId));
}

/// <summary>Whether the hub runs open (no API keys configured). The dashboard shows it; the start-up check enforces it.</summary>
public sealed class AuthMode(Microsoft.Extensions.Options.IOptions<AuthOptions> options)
{
    /// <summary>True when <c>Auth:ApiKeys</c> is empty: every caller is an anonymous admin for every task.</summary>
    public bool IsOpen { get; } = options.Value.ApiKeys.Count == 0;
}
