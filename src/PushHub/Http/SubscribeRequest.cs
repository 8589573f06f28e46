using PushHub.Hub;

namespace PushHub.Http;

/// <summary>
/// What a streaming client asks for in its query: <c>task</c> (repeatable), <c>type</c> (repeatable) and the
/// start seq, from the <c>Last-Event-ID</c> header, else <c>after</c>, else none (live only).
/// </summary>
public sealed record SubscribeRequest(EventFilter Filter, long? After)
{
    /// <summary>Reads and checks the query; answers null with <paramref name="errors"/> filled when it is invalid.</summary>
    public static SubscribeRequest? Read(HttpRequest request, out ValidationErrors errors)
    {
        var query = new QueryReader(request.Query, new ValidationErrors()).AllowOnly("task", "type", "after");
        errors = query.Errors;
        var tasks = query.Many("task", EventValidator.IsValidTaskId, $"each task {EventValidator.TaskIdRule}");
        var types = query.Many("type", EventValidator.IsValidType, $"each type {EventValidator.TypeRule}");
        var after = query.Long("after", 0, long.MaxValue);
        if (request.Headers.TryGetValue("Last-Event-ID", out var lastEventId) && lastEventId.Count > 0)
        {
            // EventSource sends back the last id it saw; it takes precedence over the after of the original URL.
            if (lastEventId.Count != 1 || !long.TryParse(lastEventId[0], System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out var resumeAfter))
            {
                errors.Add("Last-Event-ID", "must be the seq of an event (a whole number) given once");
            }
            else
            {
                after = resumeAfter;
            }
        }
        return errors.Count > 0 ? null : new SubscribeRequest(new EventFilter(tasks, types), after);
    }
}
