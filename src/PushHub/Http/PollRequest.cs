using PushHub.Hub;

namespace PushHub.Http;

/// <summary>
/// What a poll asks for in its query (<c>GET /events</c>): events after <c>after</c> (default 0) matching
/// <c>task</c> and <c>type</c> (repeatable), at most <c>limit</c> of them, waiting up to <c>wait</c> seconds for one.
/// </summary>
public sealed record PollRequest(long After, EventFilter Filter, int Limit, TimeSpan Wait)
{
    public const int MaxLimit = 1000;
    public const int DefaultLimit = 100;
    public const int MaxWaitSeconds = 60;

    private static readonly string[] s_parameters = ["after", "task", "type", "limit", "wait"];

    /// <summary>Reads and checks the query; answers null with <paramref name="errors"/> filled when it is invalid.</summary>
    public static PollRequest? Read(IQueryCollection values, out ValidationErrors errors)
    {
        var query = new QueryReader(values, new ValidationErrors()).AllowOnly(s_parameters);
        errors = query.Errors;
        var after = query.Long("after", 0, long.MaxValue) ?? 0;
        var tasks = query.Many("task", EventValidator.IsValidTaskId, $"each task {EventValidator.TaskIdRule}");
        var types = query.Many("type", EventValidator.IsValidType, $"each type {EventValidator.TypeRule}");
        var limit = query.Int("limit", 1, MaxLimit) ?? DefaultLimit;
        var wait = query.Int("wait", 0, MaxWaitSeconds) ?? 0;
        return errors.Count > 0 ? null : new PollRequest(after, new EventFilter(tasks, types), limit, TimeSpan.FromSeconds(wait));
    }
}
