namespace PushHub.Tests.Infrastructure;

/// <summary>
/// Tests that observe process-wide state run alone, after the parallel ones: Serilog's static logger, and
/// meter listeners, which subscribe to every meter of a name in the process (so other hosts' counts would mix in).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideState
{
    public const string Name = "Process-wide state";
}
