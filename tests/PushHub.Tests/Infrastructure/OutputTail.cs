using System.Collections.Concurrent;
using System.Diagnostics;

namespace PushHub.Tests.Infrastructure;

/// <summary>The last lines a child process wrote (stdout and stderr), kept for a failure message.</summary>
public sealed class OutputTail(int capacity = 300)
{
    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>Starts reading the process's redirected output into the tail.</summary>
    public void Attach(Process process)
    {
        process.OutputDataReceived += (_, line) => Add(line.Data);
        process.ErrorDataReceived += (_, line) => Add(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public override string ToString() => string.Join("\n", _lines);

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }
        _lines.Enqueue(line);
        while (_lines.Count > capacity && _lines.TryDequeue(out _))
        {
        }
    }
}
