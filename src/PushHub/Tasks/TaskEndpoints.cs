using Microsoft.OpenApi;
using PushHub.Http;
using PushHub.Hub;
using PushHub.Security;
using PushHub.Storage;

namespace PushHub.Tasks;

/// <summary><c>GET /tasks</c> and <c>GET /tasks/{id}</c>: the task projection kept with the events.</summary>
public static class TaskEndpoints
{
    public static RouteGroupBuilder MapTasks(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/tasks").WithTags("Tasks").RequireAuthorization(HubPolicies.Subscriber);
        group.MapGet("", ListAsync).WithName("ListTasks")
            .WithSummary("Tasks, most recently updated first")
            .WithQuery(
                ("status", JsonSchemaType.String, "created, queued, running, completed, failed, cancelled or stuck.", false),
                ("limit", JsonSchemaType.Integer, "1 to 1000, default 100.", false))
            .Produces<TaskList>()
            .ProducesValidationProblem();
        group.MapGet("/{id}", GetAsync).WithName("GetTask")
            .WithSummary("One task's state, derived from its events")
            .Produces<TaskSnapshot>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    private static async Task<IResult> ListAsync(HttpContext context, IPollingStore store, TaskAccess access)
    {
        var query = new QueryReader(context.Request.Query, new ValidationErrors()).AllowOnly("status", "limit");
        var status = query.Single("status");
        if (status is not null && !TaskStatuses.All.Contains(status))
        {
            query.Errors.Add("status", $"must be one of {string.Join(", ", TaskStatuses.All)}");
        }
        var limit = query.Int("limit", 1, 1000) ?? 100;
        if (query.Errors.Count > 0)
        {
            return Problems.Validation(query.Errors);
        }
        // Listing needs every task ('*'): filtering a page by patterns would answer short pages. Keys with narrower
        // patterns read their tasks one by one with GET /tasks/{id}.
        if (!access.CanReadAll(context.User))
        {
            return AccessProblems.AllTasksForbidden("GET /tasks");
        }
        var tasks = await store.ListTasksAsync(status, limit, context.RequestAborted);
        return TypedResults.Ok(new TaskList(tasks));
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, IPollingStore store, TaskAccess access)
    {
        if (!EventValidator.IsValidTaskId(id))
        {
            return Problems.Validation("id", EventValidator.TaskIdRule);
        }
        if (!access.CanRead(context.User, id))
        {
            return AccessProblems.TaskForbidden("read", id);
        }
        return await store.GetTaskAsync(id, context.RequestAborted) is { } task
            ? TypedResults.Ok(task)
            : Problems.NotFound($"No task '{id}' is stored: it has had no events, or they were all removed by retention.");
    }

    /// <summary>The body of <c>GET /tasks</c>.</summary>
    public sealed record TaskList(IReadOnlyList<TaskSnapshot> Tasks);
}
