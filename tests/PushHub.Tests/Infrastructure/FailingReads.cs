using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.DependencyInjection;
using PushHub.Storage;

namespace PushHub.Tests.Infrastructure;

/// <summary>The hub's <see cref="IPollingStore"/> with page reads counted, and failing while a switch is on; every other call as it is.</summary>
public class FailingReads : DispatchProxy
{
    private IPollingStore _inner = null!;
    private Switch _switch = null!;

    /// <summary>On: every <see cref="IPollingStore.ReadPageAsync"/> fails (counted).</summary>
    public sealed class Switch
    {
        private int _failures;
        private int _reads;

        public volatile bool On;

        public int Failures => Volatile.Read(ref _failures);

        /// <summary>Every page read asked for, failed or not.</summary>
        public int Reads => Volatile.Read(ref _reads);

        internal void Count() => Interlocked.Increment(ref _failures);

        internal void CountRead() => Interlocked.Increment(ref _reads);
    }

    /// <summary>Wraps the registered store (the last registration of <see cref="IPollingStore"/>).</summary>
    public static void Decorate(IServiceCollection services, Switch failing)
    {
        var registered = services.Last(d => d.ServiceType == typeof(IPollingStore));
        services.Add(ServiceDescriptor.Singleton<IPollingStore>(provider =>
        {
            var proxy = Create<IPollingStore, FailingReads>();
            var reads = (FailingReads)(object)proxy;
            reads._inner = (IPollingStore)(registered.ImplementationFactory?.Invoke(provider) ?? registered.ImplementationInstance
                ?? ActivatorUtilities.CreateInstance(provider, registered.ImplementationType!));
            reads._switch = failing;
            return proxy;
        }));
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod!.Name == nameof(IPollingStore.ReadPageAsync))
        {
            _switch.CountRead();
        }
        if (targetMethod.Name == nameof(IPollingStore.ReadPageAsync) && _switch.On)
        {
            _switch.Count();
            return Task.FromException<EventPage>(new InvalidOperationException("a page read failed (injected by the test)"));
        }
        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is { } inner)
        {
            ExceptionDispatchInfo.Throw(inner);
            throw;
        }
    }
}
