using Xunit.Abstractions;
using Xunit.Sdk;

namespace PushHub.Tests.Storage.Specs;

/// <summary>
/// A provider's suite that needs a server this machine may lack: its inherited spec facts are skipped, saying why, when
/// <see cref="Unavailable"/> gives a reason (the provider's own server fixture knows it, e.g. <c>RedisServer.Unavailable</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public abstract class RequiresServerAttribute : Attribute
{
    /// <summary>Why the provider's server cannot run here, or null when it can.</summary>
    public abstract string? Unavailable { get; }
}

/// <summary>
/// A fact of a spec suite (a base class that every provider's suite derives from). xunit discovers an inherited fact
/// once per derived class; this one is skipped, with the reason, for a derived class marked with a
/// <see cref="RequiresServerAttribute"/> whose server is not installed, and runs as a plain fact otherwise.
/// </summary>
[XunitTestCaseDiscoverer("PushHub.Tests.Storage.Specs.SpecFactDiscoverer", "PushHub.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class SpecFactAttribute : FactAttribute;

public sealed class SpecFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod,
        IAttributeInfo factAttribute)
    {
        var suite = testMethod.TestClass.Class.ToRuntimeType();
        var reason = suite?.GetCustomAttributes(typeof(RequiresServerAttribute), inherit: false)
            .Cast<RequiresServerAttribute>().Select(requirement => requirement.Unavailable).FirstOrDefault(reason => reason is not null);
        if (reason is null)
        {
            return base.Discover(discoveryOptions, testMethod, factAttribute);
        }
        return
        [
            new XunitSkippedDataRowTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
                discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason),
        ];
    }
}
