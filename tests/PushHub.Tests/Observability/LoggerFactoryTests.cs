using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Observability;

public sealed class LoggerFactoryTests
{
    [Fact]
    public async Task One_logger_per_category_however_many_requests_ask_for_it()
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();
        await client.PublishSeqAsync("build-1", "task.started"); // requests create their authentication handlers' loggers
        var factory = hub.Services.GetRequiredService<ILoggerFactory>();

        var first = factory.CreateLogger("PushHub.Security.ApiKeyAuthenticationHandler");
        await client.PublishSeqAsync("build-1", "task.heartbeat");

        Assert.Same(first, factory.CreateLogger("PushHub.Security.ApiKeyAuthenticationHandler"));
        Assert.NotSame(first, factory.CreateLogger("another.category"));
        Assert.True(first.IsEnabled(LogLevel.Information));
    }
}
