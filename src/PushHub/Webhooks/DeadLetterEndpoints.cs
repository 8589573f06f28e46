using System.Text.Json;
using PushHub.Http;
using PushHub.Hub;
using PushHub.Security;
using PushHub.Storage;

namespace PushHub.Webhooks;

/// <summary><c>/dead-letters</c>: deliveries given up on, to inspect, replay or delete.</summary>
public static class DeadLetterEndpoints
{
    public static RouteGroupBuilder MapDeadLetters(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/dead-letters").WithTags("Webhooks")
            .RequireAuthorization(HubPolicies.Publisher).AddEndpointFilter<DeadLetterOwnerFilter>();
        group.MapGet("", ListAsync).WithName("ListDeadLetters");
        group.MapPost("/replay", ReplayAllAsync).WithName("ReplayDeadLetters");
        group.MapPost("/{id:long}/replay", ReplayOneAsync).WithName("ReplayDeadLetter");
        group.MapDelete("/{id:long}", DeleteAsync).WithName("DeleteDeadLetter");
        return group;
    }

    private static async Task<IResult> ListAsync(HttpContext context, IWebhookStore store, WebhookAccess access)
    {
        var query = new QueryReader(context.Request.Query, new ValidationErrors()).AllowOnly("webhook_id", "limit");
        var webhookId = query.Single("webhook_id");
        var limit = query.Int("limit", 1, 1000) ?? 100;
        if (query.Errors.Count > 0)
        {
            return Problems.Validation(query.Errors);
        }
        IReadOnlyCollection<string>? webhookIds = webhookId is null ? null : [webhookId];
        if (!context.User.IsInRole(HubRoles.Admin))
        {
            // A publisher sees the dead letters of the webhooks it may manage; the limit counts only those.
            var manageable = (await store.ListAsync(context.RequestAborted))
                .Where(webhook => access.CanManage(context.User, webhook.TaskPattern)).Select(webhook => webhook.Id).ToHashSet(StringComparer.Ordinal);
            webhookIds = webhookId is null ? manageable : manageable.Contains(webhookId) ? [webhookId] : [];
        }
        return TypedResults.Ok(new DeadLetterList(await store.ListDeadLettersAsync(webhookIds, limit, context.RequestAborted)));
    }

    private static async Task<IResult> ReplayOneAsync(long id, IWebhookStore store, WebhookDispatcher dispatcher)
    {
        var queued = await store.ReplayDeadLettersAsync(id, null);
        if (queued == 0)
        {
            return NotFound(id);
        }
        dispatcher.Wake();
        return TypedResults.Accepted((string?)null, new WebhookEndpoints.ReplayResult(queued));
    }

    private static async Task<IResult> ReplayAllAsync(HttpContext context, IWebhookStore store, WebhookDispatcher dispatcher, WebhookAccess access)
    {
        var (document, problem) = await JsonBody.ReadAsync(context);
        if (problem is not null)
        {
            return problem;
        }
        using var _ = document;
        var body = document!.RootElement;
        var errors = new ValidationErrors();
        string? webhookId = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "must be a JSON object such as {\"webhook_id\":\"wh_...\"}");
        }
        else
        {
            foreach (var property in body.EnumerateObject())
            {
                if (property.Name == "webhook_id" && property.Value.ValueKind == JsonValueKind.String)
                {
                    webhookId = property.Value.GetString();
                }
                else
                {
                    errors.Add(property.Name, property.Name == "webhook_id" ? "must be a string" : "is not a field here; send webhook_id");
                }
            }
            if (webhookId is null && !errors.Contains("webhook_id"))
            {
                errors.Add("webhook_id", "is required: the webhook whose dead letters to replay");
            }
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        if (await store.GetAsync(webhookId!, context.RequestAborted) is not { } webhook)
        {
            return WebhookEndpoints.NotFound(webhookId!);
        }
        if (!access.CanManage(context.User, webhook.TaskPattern))
        {
            return WebhookAccess.Forbidden(webhook.TaskPattern);
        }
        var queued = await store.ReplayDeadLettersAsync(null, webhookId);
        dispatcher.Wake();
        return TypedResults.Accepted((string?)null, new WebhookEndpoints.ReplayResult(queued));
    }

    private static async Task<IResult> DeleteAsync(long id, IWebhookStore store) =>
        await store.DeleteDeadLetterAsync(id) ? TypedResults.NoContent() : NotFound(id);

    private static IResult NotFound(long id) => Problems.NotFound($"No dead letter {id}; GET /dead-letters lists them.");

    /// <summary>The body of <c>GET /dead-letters</c>.</summary>
    public sealed record DeadLetterList(IReadOnlyList<DeadLetterRecord> DeadLetters);
}
