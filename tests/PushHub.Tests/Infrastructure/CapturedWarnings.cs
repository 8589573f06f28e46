using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace PushHub.Tests.Infrastructure;

/// <summary>
/// The hub's last warnings and errors (the hub's Serilog reads sinks from its services), for a test's failure
/// message: a wait that timed out can say what the hub complained about meanwhile.
/// </summary>
public sealed class CapturedWarnings : ILogEventSink
{
    private const int Kept = 50;

    private readonly ConcurrentQueue<string> _lines = new();

    public void Emit(LogEvent logEvent)
    {
        if (logEvent.Level < LogEventLevel.Warning)
        {
            return;
        }
        var line = $"{logEvent.Level}: {logEvent.RenderMessage()}";
        if (logEvent.Exception is { } exception)
        {
            line += $" ({exception.GetType().Name}: {exception.Message})";
        }
        _lines.Enqueue(line);
        while (_lines.Count > Kept && _lines.TryDequeue(out _))
        {
        }
    }

    /// <summary>The kept lines, oldest first, one per line; "(none)" when there are none.</summary>
    public override string ToString() => _lines.IsEmpty ? "(none)" : string.Join(Environment.NewLine, _lines);
}
