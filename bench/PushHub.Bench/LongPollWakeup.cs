using System.Diagnostics;
using System.Net;

namespace PushHub.Bench;

// Long-poll wake-up: N long-polls parked on one task; one event published; the time until each poll is answered.
// Repeated for a few rounds, every poller asking again right after its answer, as a polling client does.
//   PushHub.Bench longpoll <url> <polls> <rounds> [--target pushhub|nchan] [--sources N]
/// <summary>Wake-up latency of parked long-polls, measured from the publish's answer (and from its sending).</summary>
internal static class LongPollWakeup
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (BenchArgs.Parse(args) is not { } parsed || !parsed.Target.Subscribable("longpoll"))
        {
            return 2;
        }
        var target = parsed.Target;
        var polls = parsed.Int("--polls", 1, 10000);
        var rounds = parsed.Int("--rounds", 2, 5);
        var task = HubTarget.NewTask();
        using var handler = LoopbackClient.CreateHandler(parsed.Int("--sources", 0, Math.Max(1, polls / 5000)));
        // Poller i on node i mod the node count, round r's event published through node r mod the node count: in a
        // cluster most polls are woken by a publish another node took.
        var nodes = parsed.Clients(handler);
        using var stop = new CancellationTokenSource();

        var asked = new int[rounds];        // pollers that sent their poll for the round
        var answered = new int[rounds];     // pollers whose poll for the round was answered with its event
        var arrivals = new long[rounds, polls];
        var receivers = Enumerable.Range(0, polls).Select(_ => new Receiver(rounds)).ToArray();
        var pollers = new List<Task>(polls);
        for (var i = 0; i < polls; i++)
        {
            var index = i;
            pollers.Add(Task.Run(() => PollAsync(target, nodes[index % nodes.Length], task, receivers[index], rounds,
                round => Interlocked.Increment(ref asked[round]),
                (round, at) => { arrivals[round, index] = at; Interlocked.Increment(ref answered[round]); }, stop.Token)));
            if (i % 200 == 199)
            {
                await Task.Delay(20); // thousands of connects at once overflow the listen backlog
            }
        }

        var fromAnswer = new List<double>(polls * rounds);
        var fromSend = new List<double>(polls * rounds);
        var failed = false;
        for (var round = 0; round < rounds && !failed; round++)
        {
            var r = round;
            if (!await Poll.UntilAsync(() => Volatile.Read(ref asked[r]) >= polls || pollers.Any(p => p.IsFaulted), TimeSpan.FromMinutes(2))
                || pollers.FirstOrDefault(p => p.IsFaulted) is { })
            {
                Console.Error.WriteLine($"round {r}: {Volatile.Read(ref asked[r])} of {polls} polls sent; {pollers.FirstOrDefault(p => p.IsFaulted)?.Exception?.GetBaseException().Message}");
                failed = true;
                break;
            }
            if (!await target.WaitForSubscribersAsync(nodes, [task], polls, TimeSpan.FromMinutes(1)))
            {
                failed = true;
                break;
            }
            await Task.Delay(500); // the server counts a poll as parked; let the last ones settle, as an idle client would
            var sent = Stopwatch.GetTimestamp();
            failed = !await target.PublishAsync(nodes[r % nodes.Length], task, r);
            var accepted = Stopwatch.GetTimestamp();
            if (failed || !await Poll.UntilAsync(() => Volatile.Read(ref answered[r]) >= polls, TimeSpan.FromSeconds(60)))
            {
                Console.Error.WriteLine($"round {r}: {Volatile.Read(ref answered[r])} of {polls} polls answered");
                failed = true;
                break;
            }
            for (var i = 0; i < polls; i++)
            {
                fromAnswer.Add(Stopwatch.GetElapsedTime(accepted, arrivals[r, i]).TotalMilliseconds);
                fromSend.Add(Stopwatch.GetElapsedTime(sent, arrivals[r, i]).TotalMilliseconds);
            }
            Console.WriteLine($"round {r + 1}: {polls} parked polls woken; publish answered in {Stopwatch.GetElapsedTime(sent, accepted).TotalMilliseconds:F1} ms, " +
                $"wake-up after it {Figures.Latency(fromAnswer[^polls..].Order().ToList())}");
        }
        await stop.CancelAsync();
        await Task.WhenAll(pollers.Select(p => p.ContinueWith(_ => { }, TaskScheduler.Default)));

        fromAnswer.Sort();
        fromSend.Sort();
        var wokenRounds = fromAnswer.Count / polls;
        var lost = (long)wokenRounds * polls - receivers.Sum(r => (long)r.Received);
        Console.WriteLine($"{target.Name}: {polls} parked long-polls, {wokenRounds} rounds; lost {lost}, duplicates {receivers.Sum(r => r.Duplicates)}");
        Console.WriteLine($"wake-up from the publish's answer: {Figures.Latency(fromAnswer)}");
        Console.WriteLine($"wake-up from the publish's sending: {Figures.Latency(fromSend)}");
        Figures.Result("parked polls", polls);
        Figures.ResultLatency("wake-up after publish answered, ", fromAnswer);
        Figures.ResultLatency("wake-up after publish sent, ", fromSend);
        var exact = Tally.Of(receivers).Report(target, (long)wokenRounds * polls);
        return !failed && exact ? 0 : 1;
    }

    /// <summary>One polling client: asks, and asks again right after each answer, until it has every round's event.</summary>
    private static async Task PollAsync(HubTarget target, HttpClient http, string task, Receiver receiver, int rounds,
        Action<int> asked, Action<int, long> answered, CancellationToken cancellationToken)
    {
        long after = 0;
        string? lastModified = null;
        string? etag = null;
        for (var round = 0; round < rounds; round++)
        {
            asked(round);
            while (receiver.Received <= round)
            {
                using var request = target.LongPollRequest(task, after, lastModified, etag);
                using var response = await http.SendAsync(request, cancellationToken);
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                var now = Stopwatch.GetTimestamp();
                if (response.StatusCode is HttpStatusCode.NotModified or HttpStatusCode.RequestTimeout)
                {
                    // Nchan's answer when a poll times out with nothing new: ask again.
                    continue;
                }
                response.EnsureSuccessStatusCode();
                receiver.OnMessage(body, now);
                if (target.IsNchan)
                {
                    // As sent: Nchan's Etag is a bare number, which the typed ETag header would not parse.
                    lastModified = response.Content.Headers.TryGetValues("Last-Modified", out var modified) ? modified.First() : null;
                    etag = response.Headers.TryGetValues("Etag", out var tags) ? tags.First() : null;
                }
                else
                {
                    after = LastSeq(body);
                }
                if (receiver.Received > round)
                {
                    answered(round, now);
                }
            }
        }
    }

    private static long LastSeq(ReadOnlySpan<byte> body)
    {
        var at = body.IndexOf("\"last_seq\":"u8);
        if (at < 0)
        {
            throw new InvalidDataException("a poll's answer has no last_seq");
        }
        body = body[(at + 11)..];
        var end = body.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        return long.Parse(body[..(end < 0 ? body.Length : end)]);
    }
}
