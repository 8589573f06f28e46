using System.Globalization;
using PushHub.Cli.Hub;

namespace PushHub.Cli.Output;

/// <summary>How an event reads in the terminal.</summary>
public static class EventText
{
    public static readonly string[] Headers = ["seq", "time", "task", "type", "data"];

    public static IReadOnlyList<string?> Row(HubEvent hubEvent) =>
        [Tables.Number(hubEvent.Seq), Tables.Time(hubEvent.Timestamp), hubEvent.TaskId, hubEvent.Type, hubEvent.Data.GetRawText()];

    /// <summary>One line: seq, task, type, then percent and message when the event has them.</summary>
    public static string Line(HubEvent hubEvent)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{hubEvent.Seq} {hubEvent.TaskId} {hubEvent.Type}");
        if (hubEvent.Percent is { } percent)
        {
            line += " " + Tables.Percent(percent);
        }
        return hubEvent.Message is { } message ? $"{line} {message}" : line;
    }
}
