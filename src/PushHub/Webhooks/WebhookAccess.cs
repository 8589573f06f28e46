using System.Security.Claims;
using PushHub.Security;
using PushHub.Storage;

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
            : access.CanPublishPattern(user, taskId));

    public static IResult Forbidden(string? taskId) => taskId is null
        ? AccessProblems.Forbidden("A webhook for every task needs an admin key, or a publisher key whose tasks include '*'; give the webhook a task_id (or pattern such as deploy-*) you may publish to.")
        : AccessProblems.TaskForbidden("manage webhooks of", taskId);
}

/// <summary>Answers 403 for <c>/webhooks/{id}…</c> when the caller may not manage that webhook.</summary>
internal sealed class WebhookOwnerFilter(IWebhookStore store, WebhookAccess access) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.Request.RouteValues.TryGetValue("id", out var value) && value is string id
            && await store.GetAsync(id, http.RequestAborted) is { } webhook && !access.CanManage(http.User, webhook.TaskPattern))
        {
            return WebhookAccess.Forbidden(webhook.TaskPattern);
        }
        return await next(context);
    }
}

/// <summary>Answers 403 for <c>/dead-letters/{id}…</c> when the caller may not manage the dead letter's webhook.</summary>
internal sealed class DeadLetterOwnerFilter(IWebhookStore store, WebhookAccess access) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.Request.RouteValues.TryGetValue("id", out var value) && long.TryParse(value as string, out var id)
            && await store.GetDeadLetterAsync(id, http.RequestAborted) is { } deadLetter)
        {
            // A dead letter whose webhook is gone is treated as one of a webhook for every task.
            var taskPattern = (await store.GetAsync(deadLetter.WebhookId, http.RequestAborted))?.TaskPattern;
            if (!access.CanManage(http.User, taskPattern))
            {
                return WebhookAccess.Forbidden(taskPattern);
            }
        }
        return await next(context);
    }
}
