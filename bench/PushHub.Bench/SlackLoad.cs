using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace PushHub.Bench;

// Slack-format deliveries: <webhooks> Slack-format webhooks on one task, each to its own incoming-webhook path of a
// local Slack fake (an HttpListener here, answering 200 "ok" as Slack does), then <events> task.started events. Slack
// allows about one message a second per webhook, and PushHub paces each webhook to that, so the figure is bounded by
// the number of webhooks: it shows whether the dispatcher keeps every paced webhook busy. The hub must run with
// Webhooks:AllowPrivateNetworks=true (the fake is on loopback).
//   PushHub.Bench slack <url> <webhooks> <events>     (PushHub only; events of 10 or more give a steady figure)
/// <summary>Slack-format deliveries per second to a local Slack fake, and anything lost or delivered twice.</summary>
internal static class SlackLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (BenchArgs.Parse(args) is not { } parsed || parsed.Target.Kind != ServerKind.PushHub)
        {
            Console.Error.WriteLine("usage: PushHub.Bench slack <url> <webhooks> <events> (PushHub only)");
            return 2;
        }
        var webhooks = parsed.Int("--webhooks", 1, 100);
        var events = parsed.Int("--events", 2, 5);
        var task = HubTarget.NewTask();
        using var http = LoopbackClient.Create(parsed.Url);
        using var fake = SlackFake.Start();
        for (var i = 0; i < webhooks; i++)
        {
            using var created = await http.PostAsJsonAsync("/webhooks", new
            {
                format = "slack",
                url = $"{fake.BaseUrl}/services/T{i:D4}/B{i:D4}/bench-token-{i}",
                task_id = task,
                types = new[] { "task.started" },
                template = "{{ seq }}",
            });
            if (created.StatusCode != HttpStatusCode.Created)
            {
                Console.Error.WriteLine($"registering Slack webhook {i} answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}" +
                    " (is Webhooks:AllowPrivateNetworks true on the hub?)");
                return 1;
            }
        }
        var body = "[" + string.Join(',', Enumerable.Range(0, events).Select(n => $$$"""{"task_id":"{{{task}}}","type":"task.started","data":{"n":{{{n}}}}}""")) + "]";
        var published = await parsed.Target.PublishAsync(http, task, Encoding.UTF8.GetBytes(body));
        var expected = webhooks * events;
        var deadline = Stopwatch.StartNew();
        while (fake.Distinct < expected && deadline.Elapsed < TimeSpan.FromSeconds(30 + events * 2))
        {
            await Task.Delay(100);
        }
        var seconds = fake.Seconds;
        // Every webhook's first message goes at once; the rate is that of the paced rounds after it.
        var perSecond = seconds > 0 ? (fake.Deliveries - Math.Min(webhooks, fake.Deliveries)) / seconds : 0;
        var lost = expected - fake.Distinct;
        Console.WriteLine($"{fake.Deliveries} Slack deliveries to {webhooks} webhooks in {seconds:F2} s (first to last): {perSecond:F1}/s; " +
            $"lost {lost}, duplicates {fake.Deliveries - fake.Distinct}");
        Figures.Result("slack deliveries/s", Math.Round(perSecond, 1));
        Figures.Result("slack delivered of expected", $"{fake.Distinct:N0} of {expected:N0}");
        Figures.Result("slack lost", lost);
        if (!published || lost != 0)
        {
            Console.Error.WriteLine($"slack failed: {(published ? "" : "the publish was refused; ")}lost {lost} of {expected}");
            return 1;
        }
        return 0;
    }

    /// <summary>Slack's incoming webhooks on a loopback port: records each (path, seq) and answers 200 "ok".</summary>
    private sealed class SlackFake : IDisposable
    {
        private readonly HttpListener _listener;
        private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
        private long _deliveries;
        private long _first;
        private long _last;

        private SlackFake(HttpListener listener, string baseUrl)
        {
            _listener = listener;
            BaseUrl = baseUrl;
            _ = Task.Run(LoopAsync);
        }

        public string BaseUrl { get; }

        public long Deliveries => Interlocked.Read(ref _deliveries);

        public int Distinct => _seen.Count;

        public double Seconds => Interlocked.Read(ref _first) == 0 ? 0 : Stopwatch.GetElapsedTime(_first, Interlocked.Read(ref _last)).TotalSeconds;

        public static SlackFake Start()
        {
            for (var attempt = 0; ; attempt++)
            {
                var port = Random.Shared.Next(20000, 60000);
                var listener = new HttpListener();
                listener.Prefixes.Add($"http://127.0.0.1:{port}/");
                try
                {
                    listener.Start();
                    return new SlackFake(listener, $"http://127.0.0.1:{port}");
                }
                catch (HttpListenerException) when (attempt < 20)
                {
                    listener.Close();
                }
            }
        }

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                _ = Task.Run(() => Answer(context));
            }
        }

        private void Answer(HttpListenerContext context)
        {
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var text = JsonDocument.Parse(reader.ReadToEnd()).RootElement.GetProperty("text").GetString();
            var now = Stopwatch.GetTimestamp();
            Interlocked.CompareExchange(ref _first, now, 0);
            Interlocked.Exchange(ref _last, now);
            Interlocked.Increment(ref _deliveries);
            _seen.TryAdd(context.Request.Url!.AbsolutePath + " " + text, 0);
            var ok = "ok"u8.ToArray();
            context.Response.StatusCode = 200;
            context.Response.ContentType = "text/html";
            context.Response.OutputStream.Write(ok);
            context.Response.Close();
        }

        public void Dispose() => _listener.Close();
    }
}
