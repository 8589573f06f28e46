using Microsoft.AspNetCore.Diagnostics;

namespace PushHub.Observability;

/// <summary>
/// Puts the request id back on an answer the exception handler writes: it clears the response's headers, the
/// <c>X-Request-ID</c> <see cref="RequestIdMiddleware"/> set among them, before the first exception handler runs.
/// Registered ahead of every other <see cref="IExceptionHandler"/> and never handling anything itself, it covers
/// every such answer, a problem or the empty <c>500</c> a client that accepts no JSON gets (an EventSource, a page), at
/// no cost to requests that do not fail.
/// </summary>
internal sealed class RequestIdOnExceptions : IExceptionHandler
{
    public ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!context.Response.HasStarted)
        {
            context.Response.Headers[RequestIdMiddleware.Header] = context.TraceIdentifier;
        }
        return ValueTask.FromResult(false);
    }
}
