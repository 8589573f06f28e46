using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PushHub.Observability;

namespace PushHub.Tests.Observability;

/// <summary>
/// The request id on an answer the exception handler writes, also when code that embeds the hub registered an
/// exception handler of its own before <c>AddPushHub</c>: the exception handler middleware asks the handlers in the
/// order the container gives them and stops at the first that handles the exception.
/// </summary>
public sealed class RequestIdOnExceptionsTests
{
    [Fact]
    public async Task An_exception_handler_registered_before_the_hub_still_answers_with_the_request_id()
    {
        var services = new ServiceCollection();
        services.AddExceptionHandler<AnswersEverything>(); // the embedder's, ahead of the hub's
        services.AddLogging();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddPushHub();
        await using var provider = services.BuildServiceProvider();
        var context = new DefaultHttpContext { TraceIdentifier = "req-7" };

        // As ExceptionHandlerMiddleware does after clearing the response: each handler in turn, until one handles it.
        foreach (var handler in provider.GetServices<IExceptionHandler>())
        {
            if (await handler.TryHandleAsync(context, new InvalidOperationException("boom"), CancellationToken.None))
            {
                break;
            }
        }

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode); // the embedder's answer
        Assert.Equal("req-7", context.Response.Headers[RequestIdMiddleware.Header]);
    }

    private sealed class AnswersEverything : IExceptionHandler
    {
        public ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return ValueTask.FromResult(true);
        }
    }
}
