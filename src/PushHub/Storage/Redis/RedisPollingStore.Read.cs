using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using PushHub.Hub;
using StackExchange.Redis;

namespace PushHub.Storage.Redis;

internal sealed partial class RedisPollingStore
{
    /// <summary>How many events a follower reads at a time.</summary>
    private const int FollowPageSize = 1000;

    /// <summary>A follower reads the log at least this often without a wake-up: a lost PUBLISH or a subscription that
    /// died silently costs at most this much delay, never an event.</summary>
    private static readonly TimeSpan s_followPoll = TimeSpan.FromSeconds(1);

    public async Task<EventPage> ReadPageAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        var tasks = query.Tasks ?? [];
        var types = query.Types ?? [];
        var values = new List<RedisValue>(7 + tasks.Count + types.Count)
        {
            storage.Prefix,
            query.After,
            query.UpTo is { } upTo ? upTo.ToString(CultureInfo.InvariantCulture) : "",
            query.Limit,
            query.MaxBytes is { } maxBytes ? maxBytes.ToString(CultureInfo.InvariantCulture) : "",
            tasks.Count,
            types.Count,
        };
        values.AddRange(tasks.Select(task => (RedisValue)task));
        values.AddRange(types.Select(type => (RedisValue)type));
        // An empty filter list matches nothing, as in SQL's IN (): no need to ask.
        var result = (RedisResult[])(await storage.Database.ScriptEvaluateAsync(RedisScripts.Read, null, [.. values])
            .WaitAsync(cancellationToken).ConfigureAwait(false))!;
        var head = (long)result[0];
        var first = (long)result[1];
        Seen(head, first);
        var events = new List<HubEvent>((result.Length - 4) / 2);
        if ((query.Tasks is null || query.Tasks.Count > 0) && (query.Types is null || query.Types.Count > 0))
        {
            for (var i = 4; i < result.Length; i += 2)
            {
                events.Add(ParseEvent((long)result[i], (byte[])result[i + 1]!));
            }
        }
        var reset = (string?)result[3];
        long? resetTo = string.IsNullOrEmpty(reset) ? null : long.Parse(reset, CultureInfo.InvariantCulture);
        return new EventPage(events, head, (string?)result[2] == "1" || events.Count == 0, resetTo);
    }

    public async IAsyncEnumerable<IReadOnlyList<HubEvent>> FollowAsync(long after, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, storage.Closing);
        var token = linked.Token;
        var cursor = after;
        while (!storage.Closing.IsCancellationRequested)
        {
            // Taken before the read: a commit after the read completes it, so no wake-up falls between the two.
            var wake = storage.NextWake;
            EventPage page;
            try
            {
                page = await ReadPageAsync(new EventQuery(cursor, FollowPageSize), token).ConfigureAwait(false);
            }
            catch (Exception) when (storage.Closing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                yield break; // the store closed
            }
            if (page.Events.Count > 0)
            {
                // Events that retention removed before they were read are skipped: the page starts where the log goes on.
                yield return page.Events;
            }
            var next = page.NextCursor(cursor, null);
            var caughtUp = page.Complete;
            cursor = Math.Max(cursor, next);
            if (caughtUp)
            {
                try
                {
                    // Real time, not the store's clock: a test's fake clock must not stop the periodic read.
                    await Task.WhenAny(wake, Task.Delay(s_followPoll, TimeProvider.System, token)).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>A stored event back from its JSON: seq, task id, type and timestamp are its first four members.</summary>
    internal static HubEvent ParseEvent(long seq, byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        string? taskId = null, type = null;
        DateTimeOffset timestamp = default;
        reader.Read(); // {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName && (taskId is null || type is null || timestamp == default))
        {
            if (reader.ValueTextEquals("task_id"u8))
            {
                reader.Read();
                taskId = reader.GetString();
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.GetString();
            }
            else if (reader.ValueTextEquals("timestamp"u8))
            {
                reader.Read();
                timestamp = DateTimeOffset.ParseExact(reader.GetString()!, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return new HubEvent(seq, taskId ?? "", type ?? "", timestamp, json);
    }
}
