using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace PushHub.Tests.Infrastructure;

/// <summary>The request-log lines (rendered with their properties).</summary>
internal sealed class RequestLogSink : ILogEventSink
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public void Emit(LogEvent logEvent)
    {
        if (logEvent.MessageTemplate.Text == PushHub.Observability.LogFormat.RequestTemplate)
        {
            Lines.Enqueue(logEvent.RenderMessage() + " | " + string.Join(" | ", logEvent.Properties.Select(p => $"{p.Key}={p.Value}")));
        }
    }
}
