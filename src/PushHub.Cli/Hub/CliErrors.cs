namespace PushHub.Cli.Hub;

/// <summary>A failure the command reports in one sentence and ends with <see cref="ExitCode"/>.</summary>
public abstract class CliException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>The command line cannot be right: reported before anything is sent.</summary>
public sealed class UsageException(string message) : CliException(message, ExitCodes.Usage);

/// <summary>The hub answered with an error status.</summary>
public sealed class HubRequestException(int status, string message)
    : CliException(message, status is >= 400 and < 500 ? ExitCodes.Rejected : ExitCodes.HubFailed)
{
    public int Status { get; } = status;
}

/// <summary>No answer from the hub at all.</summary>
public sealed class HubUnreachableException(string message, Exception inner) : CliException(message, ExitCodes.Unreachable)
{
    public Exception Reason { get; } = inner;
}
