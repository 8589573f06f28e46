using System.Collections.Concurrent;
using PushHub.Hub;
using PushHub.Storage;

namespace PushHub.Tests.Storage.Specs;

/// <summary>
/// The contract of <see cref="IPollingStore"/> every provider must pass: appends (atomic, gap-free, idempotent), range
/// reads and their <see cref="EventPage"/>, the task projection, retention (<see cref="EventStoreSpec"/> partial files
/// hold retention and following).
/// </summary>
public abstract partial class EventStoreSpec : StorageSpec
{
    [SpecFact]
    public async Task An_append_gets_the_next_seq_and_the_commit_time_and_is_stored_as_those_bytes()
    {
        var stored = await AppendAsync("build-17", "task.progress", """{"percent":50}""");
        Time.Advance(TimeSpan.FromMilliseconds(1234));
        var second = await AppendAsync("build-17", "task.progress");

        Assert.Equal(1, stored.Seq);
        Assert.Equal(Start, stored.Timestamp);
        Assert.Equal("""{"seq":1,"task_id":"build-17","type":"task.progress","timestamp":"2026-11-23T10:00:00.000Z","data":{"percent":50}}""",
            Text(stored.Json));
        Assert.Equal(2, second.Seq);
        Assert.Equal(Start.AddMilliseconds(1234), second.Timestamp);
        var read = await ReadAllAsync();
        Assert.Equal([Text(stored.Json), Text(second.Json)], read.Select(e => Text(e.Json)));
        Assert.Equal(2, Events.HeadSeq);
        Assert.Equal(1, Events.FirstSeq);
    }

    [SpecFact]
    public async Task A_batch_gets_consecutive_seqs_in_its_order()
    {
        await AppendAsync("a");
        var outcomes = await Events.AppendAsync([Input("b", "one"), Input("c", "two"), Input("b", "three")]);

        Assert.Equal([2L, 3L, 4L], outcomes.Select(o => o.Event.Seq));
        Assert.All(outcomes, o => Assert.True(o.Created));
        Assert.Equal(["one", "two", "three"], (await ReadAllAsync(1)).Select(e => e.Type));
    }

    [SpecFact]
    public async Task A_batch_with_a_bad_item_stores_nothing_and_uses_no_seq()
    {
        await AppendAsync("a");
        // A task id no store can hold: the provider must refuse the item, and with it the whole batch.
        EventInput[] batch = [Input("b", key: "k-good"), Input(null!), Input("c")];

        await Assert.ThrowsAnyAsync<Exception>(() => Events.AppendAsync(batch));

        Assert.Equal([1L], (await ReadAllAsync()).Select(e => e.Seq));
        Assert.Null(await Events.GetTaskAsync("b"));
        var next = (await Events.AppendAsync([Input("b", key: "k-good")])).Single();
        Assert.True(next.Created); // the good item's idempotency key was not kept either
        Assert.Equal(2, next.Event.Seq);
    }

    [SpecFact]
    public async Task Concurrent_appenders_get_gap_free_seqs_each_batch_contiguous()
    {
        var acknowledged = new ConcurrentBag<long[]>();
        IPollingStore[] nodes = [Events, (await SecondNodeAsync()).Events];
        await Task.WhenAll(Enumerable.Range(0, 8).Select(p => Task.Run(async () =>
        {
            var node = nodes[p % 2];
            for (var n = 0; n < 25; n++)
            {
                var outcomes = await node.AppendAsync(n % 5 == 4 ? [Input($"t{p}"), Input($"t{p}"), Input($"t{p}")] : [Input($"t{p}")]);
                acknowledged.Add(outcomes.Select(o => o.Event.Seq).ToArray());
            }
        })));

        Assert.All(acknowledged, seqs => Assert.Equal(Enumerable.Range((int)seqs[0], seqs.Length).Select(i => (long)i), seqs));
        var all = acknowledged.SelectMany(seqs => seqs).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 8 * (20 + 5 * 3)).Select(i => (long)i), all);
        Assert.Equal(all, (await ReadAllAsync()).Select(e => e.Seq));
    }

    [SpecFact]
    public async Task A_known_idempotency_key_answers_the_stored_original()
    {
        var original = await AppendAsync("a", data: """{"v":1}""", key: "k1");

        var retry = (await Events.AppendAsync([Input("a", data: """{"v":2}""", key: "k1")])).Single();

        Assert.False(retry.Created);
        Assert.Equal(original.Seq, retry.Event.Seq);
        Assert.Equal(Text(original.Json), Text(retry.Event.Json));
        Assert.Equal(1, (await Events.ReadPageAsync(new EventQuery(0, 10))).Head);
    }

    [SpecFact]
    public async Task Idempotency_keys_hold_per_item_within_and_across_batches()
    {
        var first = await Events.AppendAsync([Input("a", key: "k1"), Input("a", key: "k2"), Input("a", data: """{"dup":true}""", key: "k1")]);
        var second = await Events.AppendAsync([Input("a", key: "k2"), Input("a", key: "k3"), Input("a")]);

        Assert.Equal([true, true, false], first.Select(o => o.Created));
        Assert.Equal([1L, 2L, 1L], first.Select(o => o.Event.Seq));
        Assert.Equal([false, true, true], second.Select(o => o.Created));
        Assert.Equal([2L, 3L, 4L], second.Select(o => o.Event.Seq));
        Assert.Equal([1L, 2L, 3L, 4L], (await ReadAllAsync()).Select(e => e.Seq));
    }

    [SpecFact]
    public async Task Concurrent_requests_with_one_idempotency_key_all_get_the_one_stored_event()
    {
        // Concurrent requests may share a commit (group commit): a later request of the group must still get the
        // earlier one's event, not an event of its own.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() =>
            Events.AppendAsync(i % 2 == 0 ? [Input("a", data: $$"""{"v":{{i}}}""", key: "k1")] : [Input("b"), Input("a", key: "k1")]))));

        var keyed = outcomes.Select(o => o[^1]).ToList();
        Assert.Single(keyed, o => o.Created);
        var original = keyed.Single(o => o.Created).Event;
        Assert.All(keyed, o => Assert.Equal(Text(original.Json), Text(o.Event.Json)));
        Assert.All(outcomes.Where(o => o.Count == 2), o => Assert.True(o[0].Created));
        var all = await ReadAllAsync();
        Assert.Single(all, e => e.TaskId == "a");
        Assert.Equal(Enumerable.Range(1, 1 + 8).Select(i => (long)i), all.Select(e => e.Seq));
    }

    [SpecFact]
    public async Task AppendIfUnchanged_stores_only_while_the_task_has_not_moved_on()
    {
        var started = await AppendAsync("a", "task.started");

        var stuck = await Events.AppendIfUnchangedAsync(Input("a", "task.stuck"), started.Seq);
        var late = await Events.AppendIfUnchangedAsync(Input("a", "task.stuck"), started.Seq);
        var unknown = await Events.AppendIfUnchangedAsync(Input("never-seen", "task.stuck"), 1);

        Assert.Equal(2, stuck?.Seq);
        Assert.Null(late);
        Assert.Null(unknown);
        Assert.Equal([1L, 2L], (await ReadAllAsync()).Select(e => e.Seq));
    }

    [SpecFact]
    public async Task Range_reads_filter_by_task_and_type()
    {
        await AppendAsync("a", "t1"); // 1
        await AppendAsync("b", "t2"); // 2
        await AppendAsync("c", "t1"); // 3
        await AppendAsync("a", "t2"); // 4
        await AppendAsync("b", "t1"); // 5

        var byTask = await Events.ReadPageAsync(new EventQuery(0, 100, Tasks: ["a", "b"]));
        var byType = await Events.ReadPageAsync(new EventQuery(0, 100, Types: ["t1"]));
        var both = await Events.ReadPageAsync(new EventQuery(1, 100, ["a", "b"], ["t1"]));

        Assert.Equal([1L, 2L, 4L, 5L], byTask.Events.Select(e => e.Seq));
        Assert.Equal([1L, 3L, 5L], byType.Events.Select(e => e.Seq));
        Assert.Equal([5L], both.Events.Select(e => e.Seq));
        Assert.All([byTask, byType, both], page => Assert.True(page.Complete));
    }

    [SpecFact]
    public async Task Range_reads_filter_by_long_and_empty_lists_of_tasks_and_types()
    {
        await AppendAsync("a", "t1"); // 1
        await AppendAsync("task-150", "t2"); // 2
        await AppendAsync("c", "t3"); // 3

        // More names than a statement's cached shapes and parameter names: the 150th task and the 70th type still count.
        string[] tasks = [.. Enumerable.Range(1, 150).Select(i => $"task-{i}"), "a"];
        string[] types = [.. Enumerable.Range(1, 70).Select(i => $"type.{i}"), "t2"];
        var many = await Events.ReadPageAsync(new EventQuery(0, 100, tasks, types));
        var manyTasks = await Events.ReadPageAsync(new EventQuery(0, 100, tasks));
        var noTask = await Events.ReadPageAsync(new EventQuery(0, 100, Tasks: []));
        var noType = await Events.ReadPageAsync(new EventQuery(0, 100, Types: []));

        Assert.Equal([2L], many.Events.Select(e => e.Seq));
        Assert.Equal([1L, 2L], manyTasks.Events.Select(e => e.Seq));
        Assert.Empty(noTask.Events);
        Assert.Empty(noType.Events);
        Assert.All([many, manyTasks, noTask, noType], page => Assert.True(page.Complete));
    }

    [SpecFact]
    public async Task UpTo_bounds_the_page_and_a_complete_page_moves_the_cursor_to_it()
    {
        await AppendBatchAsync("a", 5);

        var page = await Events.ReadPageAsync(new EventQuery(1, 100, UpTo: 3));
        var beyond = await Events.ReadPageAsync(new EventQuery(1, 100, UpTo: 99));

        Assert.Equal([2L, 3L], page.Events.Select(e => e.Seq));
        Assert.True(page.Complete);
        Assert.Equal(3, page.NextCursor(1, 3));
        Assert.Equal(5, beyond.NextCursor(1, 99)); // never past the head
    }

    [SpecFact]
    public async Task Limit_cuts_the_page_short_and_the_cursor_stops_at_its_last_event()
    {
        await AppendBatchAsync("a", 5);

        var cut = await Events.ReadPageAsync(new EventQuery(0, 2));
        var exact = await Events.ReadPageAsync(new EventQuery(3, 2));

        Assert.Equal([1L, 2L], cut.Events.Select(e => e.Seq));
        Assert.False(cut.Complete);
        Assert.Equal(2, cut.NextCursor(0, null));
        Assert.Equal([4L, 5L], exact.Events.Select(e => e.Seq));
        Assert.True(exact.Complete); // nothing after it: the reader is at the head
        Assert.Equal(5, exact.NextCursor(3, null));
    }

    [SpecFact]
    public async Task MaxBytes_stops_the_page_once_reached_and_always_returns_one_event()
    {
        var seqs = await AppendBatchAsync("a", 5);
        var size = (await ReadAllAsync()).First().Json.Length;

        var one = await Events.ReadPageAsync(new EventQuery(0, 100) { MaxBytes = 1 });
        var two = await Events.ReadPageAsync(new EventQuery(0, 100) { MaxBytes = size + 1 });
        var all = await Events.ReadPageAsync(new EventQuery(0, 100) { MaxBytes = size * 100 });

        Assert.Equal([seqs[0]], one.Events.Select(e => e.Seq));
        Assert.False(one.Complete);
        Assert.Equal(seqs[0], one.NextCursor(0, null));
        Assert.Equal(seqs[..2], two.Events.Select(e => e.Seq));
        Assert.False(two.Complete);
        Assert.Equal(seqs, all.Events.Select(e => e.Seq));
        Assert.True(all.Complete);
    }

    [SpecFact]
    public async Task An_empty_filtered_page_is_complete_and_moves_the_cursor_to_the_head()
    {
        await AppendBatchAsync("a", 4);

        var page = await Events.ReadPageAsync(new EventQuery(1, 100, Tasks: ["nobody"]));
        var atHead = await Events.ReadPageAsync(new EventQuery(4, 100));
        var ahead = await Events.ReadPageAsync(new EventQuery(9, 100));

        Assert.Empty(page.Events);
        Assert.True(page.Complete);
        Assert.Equal(4, page.Head);
        Assert.Null(page.ResetTo);
        Assert.Equal(4, page.NextCursor(1, null));
        Assert.Equal(4, atHead.NextCursor(4, null));
        Assert.Equal(9, ahead.NextCursor(9, null)); // a cursor is never moved back
    }

    [SpecFact]
    public async Task The_task_projection_follows_each_tasks_events()
    {
        await Events.AppendAsync([Input("build-1", EventTypes.Created)]);
        Time.Advance(TimeSpan.FromSeconds(1));
        await Events.AppendAsync([Input("build-1", EventTypes.Progress, """{"percent":40,"message":"Compiling"}""") with { Percent = 40, Message = "Compiling" }]);
        Time.Advance(TimeSpan.FromSeconds(1));
        await Events.AppendAsync([Input("build-2", EventTypes.Started)]);
        Time.Advance(TimeSpan.FromSeconds(1));
        await Events.AppendAsync([Input("build-1", "custom.note"), Input("build-1", EventTypes.Completed) with { Percent = 100 }]);

        var task = await Events.GetTaskAsync("build-1");

        Assert.NotNull(task);
        Assert.Equal(TaskStatuses.Completed, task.Status);
        Assert.Equal(100, task.Percent);
        Assert.Equal("Compiling", task.Message); // kept: the later events said nothing else
        Assert.Equal(Start, task.CreatedAt);
        Assert.Equal(Start.AddSeconds(3), task.UpdatedAt);
        Assert.Equal(5, task.LastSeq);
        Assert.Equal(4, task.EventCount);
        Assert.Null(await Events.GetTaskAsync("build-3"));
        Assert.Equal(["build-1", "build-2"], (await Events.ListTasksAsync(null, 10)).Select(t => t.TaskId));
        Assert.Equal(["build-2"], (await Events.ListTasksAsync(TaskStatuses.Running, 10)).Select(t => t.TaskId));
        Assert.Equal(["build-1"], (await Events.ListTasksAsync(null, 1)).Select(t => t.TaskId));
    }

    [SpecFact]
    public async Task A_batch_moves_each_tasks_projection_as_its_events_would_one_by_one()
    {
        await Events.AppendAsync([Input("a", EventTypes.Progress) with { Percent = 10, Message = "earlier" }]);
        Time.Advance(TimeSpan.FromSeconds(1));
        await Events.AppendAsync(
        [
            Input("a", EventTypes.Progress) with { Percent = 40, Message = "Compiling" },
            Input("a", "custom.note"),
            Input("b", EventTypes.Started),
            Input("a", EventTypes.Progress) with { Percent = 60 },
            Input("a", EventTypes.Progress) with { Percent = 70 },
            Input("b", EventTypes.Progress) with { Message = "b's" },
            Input("a", EventTypes.Failed),
        ]);

        var a = await Events.GetTaskAsync("a");
        Assert.NotNull(a);
        Assert.Equal(TaskStatuses.Failed, a.Status);
        Assert.Equal(70, a.Percent);
        Assert.Equal("Compiling", a.Message);
        Assert.Equal(Start, a.CreatedAt);
        Assert.Equal(Start.AddSeconds(1), a.UpdatedAt);
        Assert.Equal(8, a.LastSeq);
        Assert.Equal(6, a.EventCount);
        var b = await Events.GetTaskAsync("b");
        Assert.NotNull(b);
        Assert.Equal(TaskStatuses.Running, b.Status);
        Assert.Null(b.Percent);
        Assert.Equal("b's", b.Message);
        Assert.Equal(Start.AddSeconds(1), b.CreatedAt);
        Assert.Equal(7, b.LastSeq);
        Assert.Equal(2, b.EventCount);
    }

    [SpecFact]
    public async Task Text_is_kept_exactly_non_ascii_and_longer_than_any_inline_buffer()
    {
        var taskId = "build-" + new string('7', 120);
        var message = string.Concat(Enumerable.Repeat("ü€🚀 ", 700)); // 7,700 UTF-8 bytes
        var key = "clé-" + new string('k', 600);
        var input = Input(taskId, EventTypes.Progress, """{"percent":12.5}""", key) with { Percent = 12.5, Message = message };

        var stored = (await Events.AppendAsync([input])).Single();
        var again = (await Events.AppendAsync([input])).Single();

        Assert.False(again.Created);
        Assert.Equal(stored.Event.Seq, again.Event.Seq);
        var task = await Events.GetTaskAsync(taskId);
        Assert.NotNull(task);
        Assert.Equal(message, task.Message);
        Assert.Equal(12.5, task.Percent);
        Assert.Equal(TaskStatuses.Running, task.Status);
        Assert.Equal([taskId], (await Events.ListTasksAsync(null, 10)).Select(t => t.TaskId));
        var read = Assert.Single(await ReadAllAsync());
        Assert.Equal(taskId, read.TaskId);
        Assert.Equal(Text(stored.Event.Json), Text(read.Json));
    }

    [SpecFact]
    public async Task An_empty_message_replaces_the_last_one_and_stays_empty_not_absent()
    {
        // One append at a time, and both in one batch (one merged upsert per run of a task's events).
        await Events.AppendAsync([Input("one") with { Message = "Compiling" }]);
        await Events.AppendAsync([Input("one") with { Message = "" }]);
        await Events.AppendAsync([Input("two") with { Message = "Compiling" }, Input("two") with { Message = "" }]);
        await Events.AppendAsync([Input("three") with { Message = "" }]);

        Assert.Equal("", (await Events.GetTaskAsync("one"))!.Message);
        Assert.Equal("", (await Events.GetTaskAsync("two"))!.Message);
        Assert.Equal("", (await Events.GetTaskAsync("three"))!.Message);
    }

    [SpecFact]
    public async Task ListTasks_orders_tasks_updated_at_the_same_time_by_task_id()
    {
        await Events.AppendAsync([Input("b"), Input("a"), Input("c")]);
        Time.Advance(TimeSpan.FromSeconds(1));
        await Events.AppendAsync([Input("z"), Input("y")]);
        Time.Advance(TimeSpan.FromSeconds(1));
        // More ties than a provider reads in one step, added out of order.
        var many = Enumerable.Range(0, 250).Select(i => $"t-{i:D3}").ToList();
        await Events.AppendAsync(many.OrderByDescending(id => id, StringComparer.Ordinal).Select(id => Input(id)).ToList());

        string[] expected = [.. many, "y", "z", "a", "b", "c"];
        Assert.Equal(expected, (await Events.ListTasksAsync(null, 300)).Select(t => t.TaskId));
        Assert.Equal(["t-000", "t-001"], (await Events.ListTasksAsync(null, 2)).Select(t => t.TaskId));
        Assert.Equal(expected[..252], (await Events.ListTasksAsync(null, 252)).Select(t => t.TaskId));
    }

    [SpecFact]
    public async Task FindSilentTasks_answers_running_tasks_silent_since_then_oldest_first()
    {
        await AppendAsync("quiet", EventTypes.Started);
        await AppendAsync("done", EventTypes.Started);
        await AppendAsync("done", EventTypes.Completed);
        Time.Advance(TimeSpan.FromMinutes(1));
        await AppendAsync("quieter", EventTypes.Started);
        Time.Advance(TimeSpan.FromMinutes(1));
        await AppendAsync("busy", EventTypes.Heartbeat);

        var silent = await Events.FindSilentTasksAsync(Start.AddMinutes(2), 10);
        var first = await Events.FindSilentTasksAsync(Start.AddMinutes(2), 1);

        Assert.Equal(["quiet", "quieter"], silent.Select(t => t.TaskId));
        Assert.Equal(["quiet"], first.Select(t => t.TaskId));
        Assert.Empty(await Events.FindSilentTasksAsync(Start, 10));
    }
}
