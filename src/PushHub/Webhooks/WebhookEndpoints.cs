using Microsoft.Extensions.Options;
using PushHub.Http;
using PushHub.Hub;
using PushHub.Security;

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
        endpoints.MapDeadLetters();
        return group;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, WebhookStore store, WebhookDispatcher dispatcher, IOptions<WebhookOptions> options,
        WebhookAccess access)
    {
        var (document, problem) = await JsonBody.ReadAsync(context);
        if (problem is not null)
        {
            return problem;
        }
        using var _ = document;
        var errors = new ValidationErrors();
        var request = WebhookRequest.Read(document!.RootElement, patch: false, options.Value.AllowPrivateNetworks, errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        if (!access.CanManage(context.User, request.TaskId))
        {
            return WebhookAccess.Forbidden(request.TaskId);
        }
        var row = await store.CreateAsync(new WebhookRow
        {
            Id = "wh_" + Guid.NewGuid().ToString("n"),
            Url = request.Url!.AbsoluteUri,
            TaskId = request.TaskId,
            Types = WebhookRow.JoinTypes(request.Types),
            Description = request.Description,
            Secret = request.Secret ?? WebhookSigner.NewSecret(),
            Enabled = true,
        });
        dispatcher.Wake();
        return TypedResults.Created($"/webhooks/{row.Id}", row.ToWebhookWithSecret());
    }

    private static async Task<IResult> ListAsync(HttpContext context, WebhookStore store, WebhookAccess access)
    {
        var query = new QueryReader(context.Request.Query, new ValidationErrors()).AllowOnly("limit");
        var limit = query.Int("limit", 1, 1000) ?? 100;
        if (query.Errors.Count > 0)
        {
            return Problems.Validation(query.Errors);
        }
        var rows = await store.ListAsync(limit, context.RequestAborted);
        return TypedResults.Ok(new WebhookList(rows.Where(row => access.CanManage(context.User, row.TaskId)).Select(row => row.ToWebhook()).ToList()));
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, WebhookStore store) =>
        await store.GetAsync(id, context.RequestAborted) is { } row ? TypedResults.Ok(row.ToWebhook()) : NotFound(id);

    private static async Task<IResult> PatchAsync(string id, HttpContext context, WebhookStore store, WebhookSender sender,
        WebhookDispatcher dispatcher, IOptions<WebhookOptions> options, WebhookAccess access)
    {
        var (document, problem) = await JsonBody.ReadAsync(context);
        if (problem is not null)
        {
            return problem;
        }
        using var _ = document;
        var errors = new ValidationErrors();
        var request = WebhookRequest.Read(document!.RootElement, patch: true, options.Value.AllowPrivateNetworks, errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        if (request.HasTaskId && !access.CanManage(context.User, request.TaskId))
        {
            return WebhookAccess.Forbidden(request.TaskId);
        }
        var row = await store.UpdateAsync(id, (row, _) =>
        {
            row.Url = request.Url?.AbsoluteUri ?? row.Url;
            row.TaskId = request.HasTaskId ? request.TaskId : row.TaskId;
            row.Types = request.HasTypes ? WebhookRow.JoinTypes(request.Types) : row.Types;
            row.Description = request.HasDescription ? request.Description : row.Description;
            if (request.Enabled is { } enabled)
            {
                row.Enabled = enabled;
                row.DisabledReason = enabled ? null : "disabled through the API";
            }
        });
        if (row is null)
        {
            return NotFound(id);
        }
        sender.Forget(id);
        dispatcher.Wake();
        return TypedResults.Ok(row.ToWebhook());
    }

    private static async Task<IResult> DeleteAsync(string id, WebhookStore store, WebhookSender sender)
    {
        if (!await store.DeleteAsync(id))
        {
            return NotFound(id);
        }
        sender.Forget(id);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> RotateSecretAsync(string id, WebhookStore store, IOptions<WebhookOptions> options)
    {
        var grace = options.Value.SecretGracePeriod;
        var row = await store.UpdateAsync(id, (row, now) =>
        {
            row.PreviousSecret = grace > TimeSpan.Zero ? row.Secret : null;
            row.PreviousUntil = grace > TimeSpan.Zero ? now + (long)grace.TotalMilliseconds : null;
            row.Secret = WebhookSigner.NewSecret();
        });
        return row is null ? NotFound(id) : TypedResults.Ok(row.ToWebhookWithSecret());
    }

    private static async Task<IResult> ListDeliveriesAsync(string id, HttpContext context, WebhookStore store)
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
        return TypedResults.Ok(new DeliveryList(await store.ListAttemptsAsync(id, limit, context.RequestAborted)));
    }

    private static async Task<IResult> ReplayAsync(string id, HttpContext context, WebhookStore store, WebhookDispatcher dispatcher)
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
        if (await store.GetAsync(id, context.RequestAborted) is not { } row)
        {
            return NotFound(id);
        }
        var queued = await store.ReplayAsync(row, after, until);
        dispatcher.Wake();
        return TypedResults.Accepted($"/webhooks/{id}/deliveries", new ReplayResult(queued));
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
