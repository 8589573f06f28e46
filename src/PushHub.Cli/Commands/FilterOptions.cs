using System.CommandLine;
using PushHub.Cli.Hub;

namespace PushHub.Cli.Commands;

/// <summary>The <c>--task</c>, <c>--type</c> and <c>--after</c> options that <c>poll</c> and <c>tail</c> share.</summary>
public sealed class FilterOptions
{
    public Option<string[]> Tasks { get; } = new("--task") { Description = "Only this task (repeatable)", AllowMultipleArgumentsPerToken = false };

    public Option<string[]> Types { get; } = new("--type") { Description = "Only this event type (repeatable)" };

    public Option<long?> After { get; } = new("--after") { Description = "Start after this seq" };

    public void AddTo(Command command)
    {
        command.Options.Add(Tasks);
        command.Options.Add(Types);
        command.Options.Add(After);
    }

    /// <summary>The <c>task=</c> and <c>type=</c> filters as the hub's query.</summary>
    public QueryString Query(CommandSession session) =>
        new QueryString().AddEach("task", session.Get(Tasks)).AddEach("type", session.Get(Types));
}
