using System.Security.Claims;
using PushHub.Security;

namespace PushHub.Webhooks;

/// <summary>
/// Who may manage a webhook: an admin, or a publisher for the webhook's task. A webhook that follows every task
/// needs an admin or a publisher whose patterns include <c>*</c>. Dead letters belong to their webhook.
/// </summary>
internal sealed class WebhookAccess(TaskAccess access)
{
    public bool CanManage(ClaimsPrincipal user, string? taskId) =>
        user.IsInRole(HubRoles.Admin)
        || (taskId is null
            ? user.IsInRole(HubRoles.Publisher) && HubClaims.Tasks(user).Contains(TaskPattern.All, StringComparer.Ordinal)
            : access.CanPublish(user, taskId));

    public static IResult Forbidden(string? taskId) => taskId is null
        ? AccessProblems.Forbidden("A webhook for every task needs an admin key, or a publisher key whose tasks include '*'; give the webhook a task_id you may publish to.")
        : AccessProblems.TaskForbidden("manage webhooks of", taskId);
}

/// <summary>Answers 403 for <c>/webhooks/{id}…</c> when the caller may not manage that webhook.</summary>
internal sealed class WebhookOwnerFilter(WebhookStore store, WebhookAccess access) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.Request.RouteValues.TryGetValue("id", out var value) && value is string id
            && await store.GetAsync(id, http.RequestAborted) is { } row && !access.CanManage(http.User, row.TaskId))
        {
            return WebhookAccess.Forbidden(row.TaskId);
        }
        return await next(context);
    }
}

/// <summary>Answers 403 for <c>/dead-letters/{id}…</c> when the caller may not manage the dead letter's webhook.</summary>
internal sealed class DeadLetterOwnerFilter(WebhookStore store, WebhookAccess access) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.Request.RouteValues.TryGetValue("id", out var value) && long.TryParse(value as string, out var id)
            && await store.GetDeadLetterTaskAsync(id, http.RequestAborted) is var (found, taskId) && found
            && !access.CanManage(http.User, taskId))
        {
            return WebhookAccess.Forbidden(taskId);
        }
        return await next(context);
    }
}
