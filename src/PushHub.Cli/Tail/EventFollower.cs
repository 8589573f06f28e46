using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using PushHub.Cli.Hub;

namespace PushHub.Cli.Tail;

/// <summary>An event from the stream with its JSON exactly as the hub sent it.</summary>
public sealed record FollowedEvent(HubEvent Event, string Json);

/// <summary>
/// Follows <c>GET /events/sse</c> and, when the connection drops, reconnects with <c>Last-Event-ID</c> set to the
/// last seq it yielded, waiting <see cref="CliContext.ReconnectDelay"/> doubled after each failed try. The hub
/// replays from that seq, so the sequence yielded has no gap and no duplicate across reconnects.
/// </summary>
public sealed class EventFollower(HubApiClient api, QueryString query, CliContext context)
{
    /// <summary>The seq of the last event yielded: where the next connection resumes.</summary>
    public long LastSeq { get; private set; }

    /// <summary>Yields the events after <paramref name="after"/> until cancelled. The first connection must succeed.</summary>
    public async IAsyncEnumerable<FollowedEvent> FollowAsync(long after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        LastSeq = after;
        var delay = context.ReconnectDelay;
        var response = await api.OpenSseAsync(query, LastSeq, cancellationToken);
        while (true)
        {
            using (response)
            {
                var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                await using var items = SseParser.Create(stream).EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
                while (await NextAsync(items, cancellationToken) is { } item)
                {
                    if (item.EventType == "reset")
                    {
                        context.Error.WriteLine($"pushhub: events after seq {LastSeq} were already removed by retention; continuing from the oldest stored ({item.Data})");
                        continue;
                    }
                    var hubEvent = JsonSerializer.Deserialize<HubEvent>(item.Data, HubApiClient.JsonOptions);
                    // The hub resumes strictly after Last-Event-ID; the check keeps that promise even against a proxy that replays.
                    if (hubEvent is null || hubEvent.Seq <= LastSeq)
                    {
                        continue;
                    }
                    LastSeq = hubEvent.Seq;
                    delay = context.ReconnectDelay;
                    yield return new FollowedEvent(hubEvent, item.Data);
                }
            }
            response = await ReconnectAsync(delay, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, context.MaxReconnectDelay.Ticks));
        }
    }

    /// <summary>The next frame, or null when the connection ended (closed by the hub or broken).</summary>
    private async Task<SseItem<string>?> NextAsync(IAsyncEnumerator<SseItem<string>> items, CancellationToken cancellationToken)
    {
        try
        {
            return await items.MoveNextAsync() ? items.Current : null;
        }
        catch (Exception exception) when (exception is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            context.Error.WriteLine($"pushhub: the stream broke after seq {LastSeq} ({exception.Message})");
            return null;
        }
    }

    /// <summary>Tries again, backing off, until the hub answers; a refusal (4xx) ends the tail.</summary>
    private async Task<HttpResponseMessage> ReconnectAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        while (true)
        {
            context.Error.WriteLine($"pushhub: reconnecting in {delay.TotalSeconds:0.#} s to resume after seq {LastSeq}");
            await Task.Delay(delay, cancellationToken);
            try
            {
                return await api.OpenSseAsync(query, LastSeq, cancellationToken);
            }
            catch (CliException exception) when (exception is HubUnreachableException or HubRequestException { Status: >= 500 })
            {
                context.Error.WriteLine($"pushhub: {exception.Message}");
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, context.MaxReconnectDelay.Ticks));
        }
    }
}
