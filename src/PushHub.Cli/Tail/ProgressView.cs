using Spectre.Console;

namespace PushHub.Cli.Tail;

/// <summary>One live Spectre.Console progress bar per task: its status, percent and last message.</summary>
public sealed class ProgressView(ProgressContext progress)
{
    private readonly Dictionary<string, ProgressTask> _bars = new(StringComparer.Ordinal);

    /// <summary>Columns that fit a task line: description (id, status, message), bar, percent.</summary>
    public static Progress Create(IAnsiConsole console) => console.Progress()
        .AutoClear(false)
        .HideCompleted(false)
        .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn());

    public void Show(TaskLine line)
    {
        if (!_bars.TryGetValue(line.TaskId, out var bar))
        {
            _bars[line.TaskId] = bar = progress.AddTask(line.TaskId, autoStart: true, maxValue: 100);
        }
        bar.Value = Math.Clamp(line.Percent, 0, 100);
        bar.Description = $"{Markup.Escape(line.TaskId)} [{Colour(line.Status)}]{Markup.Escape(line.Status)}[/] {Markup.Escape(line.Message ?? "")}".TrimEnd();
        if (line.IsFinished)
        {
            bar.StopTask();
        }
        progress.Refresh();
    }

    private static string Colour(string status) => status switch
    {
        "completed" => "green",
        "failed" or "cancelled" => "red",
        "stuck" => "yellow",
        _ => "blue",
    };
}
