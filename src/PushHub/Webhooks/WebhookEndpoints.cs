using Microsoft.Extensions.Options;
using PushHub.Http;
using PushHub.Hub;
using PushHub.Security;
using PushHub.Storage;
using PushHub.Webhooks.Formats;

namespace PushHub.Webhooks;

/// <summary>The registration API: <c>/webhooks</c>, its attempt log, replay and secret rotation.</summary>
public static class WebhookEndpoints
{
    /// <summary>Maps <c>/webhooks</c> and <c>/dead-letters</c>.</summary>
    public static RouteGroupBuilder MapWebhooks(this IEndpointRouteBuilder endpoints)
    {
        // Webhooks are managed by publishers, each for its own tasks (WebhookAccess), and by admins.
        var group = endpoints.MapGroup("/webhooks").WithTags("Webhooks")
            .RequireAuthorization(HubPolicies.Publisher).AddEndpointFilter<WebhookOwnerFilter>();
        group.MapPost("", CreateAsync).WithName("CreateWebhook");
        group.MapGet("", ListAsync).WithName("ListWebhooks");
        group.MapGet("/{id}", GetAsync).WithName("GetWebhook");
        group.MapPatch("/{id}", PatchAsync).WithName("UpdateWebhook");
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteWebhook");
        group.MapPost("/{id}/rotate-secret", RotateSecretAsync).WithName("RotateWebhookSecret");
        group.MapGet("/{id}/deliveries", ListDeliveriesAsync).WithName("ListWebhookDeliveries");
        group.MapPost("/{id}/replay", ReplayAsync).WithName("ReplayWebhook");
        group.MapPost("/{id}/test", TestAsync).WithName("TestWebhook");
        group.MapPost("/preview", WebhookPreview.PreviewAsync).WithName("PreviewWebhook");
        endpoints.MapDeadLetters();
        return group;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IWebhookStore store, WebhookDispatcher dispatcher, WebhookSender sender,
        NotificationFormats formats, WebhookAccess access, WebhookFallbacks fallbacks)
    {
        var (document, problem) = await JsonBody.ReadAsync(context);
        if (problem is not null)
        {
            return problem;
        }
        using var _ = document;
        var errors = new ValidationErrors();
        var request = WebhookRequest.Read(document!.RootElement, patch: false, errors);
        var checkedDestination = WebhookDestinations.Check(request, null, formats, sender, errors);
        var id = "wh_" + Guid.NewGuid().ToString("n");
        await using var held = await fallbacks.HoldAsync(request, context.RequestAborted);
        await fallbacks.CheckAsync(context.User, id, request, errors, context.RequestAborted);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        if (!access.CanManage(context.User, request.TaskId))
        {
            return WebhookAccess.Forbidden(request.TaskId);
        }
        var webhook = await store.CreateAsync(checkedDestination!.ApplyTo(new WebhookRecord
        {
            Id = id,
            Url = "",
            TaskPattern = request.TaskId,
            FallbackWebhookId = request.FallbackWebhookId,
            FallbackAfter = request.FallbackWebhookId is null ? null : request.FallbackAfter,
            Description = request.Description,
            Secret = request.Secret ?? WebhookSigner.NewSecret(),
        }));
        if (held is not null)
        {
            await held.DisposeAsync();
        }
        dispatcher.Wake();
        return TypedResults.Created($"/webhooks/{webhook.Id}", webhook.ToWebhookWithSecret(sender.Destination(webhook)));
    }

    private static async Task<IResult> ListAsync(HttpContext context, IWebhookStore store, WebhookSender sender, WebhookAccess access)
    {
        var query = new QueryReader(context.Request.Query, new ValidationErrors()).AllowOnly("limit");
        var limit = query.Int("limit", 1, 1000) ?? 100;
        if (query.Errors.Count > 0)
        {
            return Problems.Validation(query.Errors);
        }
        // The limit counts what the caller may see, so a publisher's page is never emptied by other tasks' webhooks.
        var webhooks = await store.ListAsync(context.RequestAborted);
        return TypedResults.Ok(new WebhookList(webhooks.Where(webhook => access.CanManage(context.User, webhook.TaskPattern))
            .Take(limit).Select(webhook => webhook.ToWebhook(sender.Destination(webhook))).ToList()));
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, IWebhookStore store, WebhookSender sender) =>
        await store.GetAsync(id, context.RequestAborted) is { } webhook ? TypedResults.Ok(webhook.ToWebhook(sender.Destination(webhook))) : NotFound(id);

    private static async Task<IResult> PatchAsync(string id, HttpContext context, IWebhookStore store, WebhookSender sender,
        WebhookDispatcher dispatcher, NotificationFormats formats, WebhookAccess access, WebhookFallbacks fallbacks)
    {
        var (document, problem) = await JsonBody.ReadAsync(context);
        if (problem is not null)
        {
            return problem;
        }
        using var _ = document;
        var errors = new ValidationErrors();
        var request = WebhookRequest.Read(document!.RootElement, patch: true, errors);
        if (await store.GetAsync(id, context.RequestAborted) is not { } stored)
        {
            return NotFound(id);
        }
        var changesDestination = request.Url is not null || request.HasFormat || request.HasOptions || request.HasTemplate || request.HasTypes;
        var checkedDestination = changesDestination ? WebhookDestinations.Check(request, stored, formats, sender, errors) : null;
        await using var held = await fallbacks.HoldAsync(request, context.RequestAborted);
        await fallbacks.CheckAsync(context.User, id, request, errors, context.RequestAborted);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        if (request.HasTaskId && !access.CanManage(context.User, request.TaskId))
        {
            return WebhookAccess.Forbidden(request.TaskId);
        }
        var webhook = await store.UpdateAsync(id, webhook => (checkedDestination?.ApplyTo(webhook) ?? webhook) with
        {
            TaskPattern = request.HasTaskId ? request.TaskId : webhook.TaskPattern,
            FallbackWebhookId = request.HasFallback ? request.FallbackWebhookId : webhook.FallbackWebhookId,
            FallbackAfter = request.HasFallback ? request.FallbackAfter : webhook.FallbackAfter,
            Description = request.HasDescription ? request.Description : webhook.Description,
            Enabled = request.Enabled ?? webhook.Enabled,
            DisabledReason = request.Enabled switch { true => null, false => "disabled through the API", null => webhook.DisabledReason },
        });
        if (held is not null)
        {
            await held.DisposeAsync();
        }
        if (webhook is null)
        {
            return NotFound(id);
        }
        sender.Forget(id);
        dispatcher.Wake();
        return TypedResults.Ok(webhook.ToWebhook(sender.Destination(webhook)));
    }

    private static async Task<IResult> DeleteAsync(string id, IWebhookStore store, WebhookSender sender, WebhookFallbacks fallbacks,
        HttpContext context)
    {
        await using var held = await fallbacks.HoldForDeleteAsync(context.RequestAborted);
        if (await fallbacks.FallingBackToAsync(id, context.RequestAborted) is [_, ..] referrers)
        {
            return Problems.Status(StatusCodes.Status409Conflict, "Webhook is a fallback",
                $"webhook {string.Join(", ", referrers)} falls back to '{id}'; give {(referrers.Count == 1 ? "it" : "them")} another fallback " +
                "(PATCH with \"fallback\") or none (\"fallback\": null) before deleting this one");
        }
        if (!await store.DeleteAsync(id))
        {
            return NotFound(id);
        }
        sender.Forget(id);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> RotateSecretAsync(string id, IWebhookStore store, WebhookSender sender, IOptions<WebhookOptions> options,
        TimeProvider time)
    {
        var grace = options.Value.SecretGracePeriod;
        var webhook = await store.UpdateAsync(id, webhook => webhook with
        {
            PreviousSecret = grace > TimeSpan.Zero ? webhook.Secret : null,
            PreviousSecretUntil = grace > TimeSpan.Zero ? time.GetUtcNow() + grace : null,
            Secret = WebhookSigner.NewSecret(),
        });
        return webhook is null ? NotFound(id) : TypedResults.Ok(webhook.ToWebhookWithSecret(sender.Destination(webhook)));
    }

    private static async Task<IResult> ListDeliveriesAsync(string id, HttpContext context, IWebhookStore store)
    {
        var query = new QueryReader(context.Request.Query, new ValidationErrors()).AllowOnly("limit");
        var limit = query.Int("limit", 1, 1000) ?? 100;
        if (query.Errors.Count > 0)
        {
            return Problems.Validation(query.Errors);
        }
        if (await store.GetAsync(id, context.RequestAborted) is null)
        {
            return NotFound(id);
        }
        var attempts = await store.ListAttemptsAsync(id, limit, context.RequestAborted);
        return TypedResults.Ok(new DeliveryList(attempts.Select(attempt => attempt.ToDeliveryAttempt()).ToList()));
    }

    private static async Task<IResult> ReplayAsync(string id, HttpContext context, IWebhookStore store, WebhookDispatcher dispatcher)
    {
        var (document, problem) = await JsonBody.ReadAsync(context);
        if (problem is not null)
        {
            return problem;
        }
        using var _ = document;
        var errors = new ValidationErrors();
        var (after, until) = ReplayRange.Read(document!.RootElement, errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        if (await store.GetAsync(id, context.RequestAborted) is null)
        {
            return NotFound(id);
        }
        var queued = await store.ReplayAsync(id, after, until, context.RequestAborted);
        dispatcher.Wake();
        return TypedResults.Accepted($"/webhooks/{id}/deliveries", new ReplayResult(queued));
    }

    /// <summary>
    /// Sends a sample event (task <c>pushhub-test</c>, <c>task.completed</c>) to the destination now, through its format,
    /// breaker, timeout and SSRF guard; records the attempt (seq 0) in the attempt log and leaves the outbox alone.
    /// </summary>
    private static async Task<IResult> TestAsync(string id, HttpContext context, IWebhookStore store, WebhookSender sender,
        NotificationFormats formats, TimeProvider time)
    {
        if (await store.GetAsync(id, context.RequestAborted) is not { } webhook)
        {
            return NotFound(id);
        }
        var attemptedAt = time.GetUtcNow();
        var destination = sender.Destination(webhook);
        var type = destination.Format.SupportedTypes is { } supported && !supported.Contains(EventTypes.Completed) ? supported[0] : EventTypes.Completed;
        var result = await sender.SendAsync(webhook, destination, formats.Sample(type, "pushhub-test"), context.RequestAborted);
        var attempt = new DeliveryAttemptRecord(webhook.Id, 0, 1, result.Succeeded ? "succeeded" : "failed", result.Status, result.DurationMs,
            result.Error, result.Response, attemptedAt, null);
        await store.AppendAttemptAsync(attempt, CancellationToken.None);
        return TypedResults.Ok(attempt.ToDeliveryAttempt());
    }

    internal static IResult NotFound(string id) =>
        Problems.NotFound($"No webhook '{id}' is registered; GET /webhooks lists them.");

    /// <summary>The body of <c>GET /webhooks</c>.</summary>
    public sealed record WebhookList(IReadOnlyList<Webhook> Webhooks);

    /// <summary>The body of <c>GET /webhooks/{id}/deliveries</c>.</summary>
    public sealed record DeliveryList(IReadOnlyList<DeliveryAttempt> Deliveries);

    /// <summary>How many deliveries a replay queued.</summary>
    public sealed record ReplayResult(int Queued);
}
