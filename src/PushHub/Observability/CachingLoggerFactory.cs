using System.Collections.Concurrent;

namespace PushHub.Observability;

/// <summary>
/// Keeps one logger per category. Serilog's logger factory builds a new logger, with caches of its own, on every
/// <see cref="ILoggerFactory.CreateLogger"/>, and ASP.NET Core asks on every request (each authentication handler
/// is created per request): that cost CPU on every publish and about 1 KB for as long as an SSE stream stayed
/// open. Microsoft's own factory caches by category the same way.
/// </summary>
internal sealed class CachingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    private readonly ConcurrentDictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, inner.CreateLogger);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    /// <summary>Wraps the registered <see cref="ILoggerFactory"/> (Serilog's, after <c>AddSerilog</c>) in the cache.</summary>
    public static void Wrap(IServiceCollection services)
    {
        var registered = services.Last(descriptor => descriptor.ServiceType == typeof(ILoggerFactory));
        services.Remove(registered);
        services.AddSingleton<ILoggerFactory>(provider => new CachingLoggerFactory(registered switch
        {
            { ImplementationInstance: ILoggerFactory instance } => instance,
            { ImplementationFactory: { } create } => (ILoggerFactory)create(provider),
            { ImplementationType: { } type } => (ILoggerFactory)ActivatorUtilities.CreateInstance(provider, type),
            _ => throw new InvalidOperationException($"cannot wrap the logger factory registration {registered}"),
        }));
    }
}
