using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace PushHub.Bench;

/// <summary>Which server a scenario talks to (<c>--target</c>).</summary>
internal enum ServerKind
{
    /// <summary>PushHub itself.</summary>
    PushHub,

    /// <summary>nginx with the Nchan module, as configured in <c>bench/nchan/nginx.conf</c>.</summary>
    Nchan,

    /// <summary><c>bench/PushHub.BareKestrel</c>: answers any POST with 202, the calibration column for publishing.</summary>
    Bare,
}

/// <summary>
/// The server under test: PushHub, the nginx Nchan module as configured in <c>bench/nchan/nginx.conf</c>, or the
/// bare Kestrel endpoint (publishing only). The scenarios use the same client code against all of them; only the
/// paths and the answers that mean "accepted" differ. Every published body is the same JSON event, carrying its
/// publish timestamp <c>"t"</c> (Stopwatch ticks) and its number in the run <c>"n"</c>, so a subscriber of either
/// server measures latency and counts what it lost.
/// </summary>
internal sealed class HubTarget(ServerKind kind, int nodes = 1)
{
    /// <summary>The server's kind.</summary>
    public ServerKind Kind { get; } = kind;

    /// <summary>How many nodes serve it: 1, or a PushHub cluster's node count.</summary>
    public int Nodes { get; } = nodes;

    /// <summary>True for Nchan.</summary>
    public bool IsNchan => Kind == ServerKind.Nchan;

    /// <summary>"PushHub", "Nchan" or "bare Kestrel", for the output.</summary>
    public string Name => Kind switch { ServerKind.Nchan => "Nchan", ServerKind.Bare => "bare Kestrel", _ => Nodes > 1 ? $"PushHub ×{Nodes}" : "PushHub" };

    /// <summary>
    /// False (with the reason on stderr) for the bare endpoint, which only takes publishes: a scenario that
    /// subscribes, polls or registers webhooks asks this first.
    /// </summary>
    public bool Subscribable(string scenario)
    {
        if (Kind == ServerKind.Bare)
        {
            Console.Error.WriteLine($"the bare Kestrel endpoint only answers publishes; the {scenario} scenario needs pushhub or nchan");
            return false;
        }
        return true;
    }

    /// <summary>Where events for <paramref name="task"/> are published (Nchan: one channel per task).</summary>
    public string PublishPath(string task) => IsNchan ? $"/pub?id={task}" : "/events";

    /// <summary>The EventSource stream of one task.</summary>
    public string SsePath(string task) => IsNchan ? $"/sub?id={task}" : $"/events/sse?task={task}";

    /// <summary>The WebSocket stream of one task.</summary>
    public string WebSocketPath(string task) => IsNchan ? $"/ws?id={task}" : $"/events/ws?task={task}";

    /// <summary>
    /// A long-poll for the next event of <paramref name="task"/>. PushHub: <c>GET /events?task=&amp;after=&amp;wait=30</c>
    /// with the last answer's <c>last_seq</c>. Nchan: <c>GET /lp?id=</c> with the last answer's Last-Modified and
    /// Etag sent back as If-Modified-Since and If-None-Match (nothing on the first poll of a fresh channel).
    /// </summary>
    public HttpRequestMessage LongPollRequest(string task, long after, string? lastModified, string? etag)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, IsNchan ? $"/lp?id={task}" : $"/events?task={task}&after={after}&wait=30");
        if (lastModified is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Modified-Since", lastModified);
        }
        if (etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        }
        return request;
    }

    /// <summary>PushHub answers a durable publish 202 (and so does the bare endpoint); Nchan 201 (subscribers present) or 202 (none).</summary>
    public bool Accepted(HttpStatusCode status) => IsNchan ? status is HttpStatusCode.Created or HttpStatusCode.Accepted : status == HttpStatusCode.Accepted;

    /// <summary>A fresh task (channel) name, so runs never see each other's events.</summary>
    public static string NewTask() => "bench-" + Guid.NewGuid().ToString("n")[..8];

    /// <summary>The event body every scenario publishes.</summary>
    public static string EventBody(string task, int n) =>
        $"{{\"task_id\":\"{task}\",\"type\":\"task.progress\",\"data\":{{\"percent\":1,\"n\":{n},\"t\":{Stopwatch.GetTimestamp()}}}}}";

    /// <summary>A request for the stream at <paramref name="path"/> (Nchan's EventSource answers 403 without the Accept).</summary>
    public HttpRequestMessage SseRequest(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        return request;
    }

    /// <summary>Posts event number <paramref name="n"/> for <paramref name="task"/>; true when the server accepted it.</summary>
    public Task<bool> PublishAsync(HttpClient http, string task, int n, CancellationToken cancellationToken = default) =>
        PublishAsync(http, task, Encoding.UTF8.GetBytes(EventBody(task, n)), cancellationToken);

    /// <summary>Posts <paramref name="body"/> (one event or an array) for <paramref name="task"/>; true when the server accepted it.</summary>
    public async Task<bool> PublishAsync(HttpClient http, string task, byte[] body, CancellationToken cancellationToken = default)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(PublishPath(task), content, cancellationToken);
        if (!Accepted(response.StatusCode))
        {
            Console.Error.WriteLine($"publish answered {(int)response.StatusCode}");
            return false;
        }
        return true;
    }

    /// <summary>
    /// How many subscribers (streams and parked long-polls) the server has on <paramref name="tasks"/>, summed:
    /// PushHub's <c>GET /stats</c> (<c>subscribers_by_task</c>); for Nchan, all its subscribers from
    /// <c>nchan_stub_status</c> (<c>GET /status</c>), because its per-channel count (<c>GET /pub</c> as JSON) falls
    /// behind with two workers: seen stuck at 36 of 50 connected subscribers for a minute. A scenario runs alone
    /// on its server, so all of Nchan's subscribers are the scenario's.
    /// </summary>
    public async Task<int> CountSubscribersAsync(HttpClient http, IReadOnlyCollection<string> tasks, CancellationToken cancellationToken = default)
    {
        if (IsNchan)
        {
            var status = await http.GetStringAsync("/status", cancellationToken);
            var line = status.Split('\n').First(l => l.StartsWith("subscribers:", StringComparison.Ordinal));
            return int.Parse(line["subscribers:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, "/stats");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken));
        var byTask = json.RootElement.GetProperty("subscribers_by_task");
        return tasks.Sum(task => byTask.TryGetProperty(task, out var count) ? count.GetInt32() : 0);
    }

    /// <summary>
    /// Waits until the server counts <paramref name="expected"/> subscribers on <paramref name="tasks"/>, so that
    /// nothing is published before everyone listens. False when that did not happen within <paramref name="limit"/>.
    /// </summary>
    public Task<bool> WaitForSubscribersAsync(HttpClient http, IReadOnlyCollection<string> tasks, int expected, TimeSpan limit) =>
        WaitForSubscribersAsync([http], tasks, expected, limit);

    /// <summary>
    /// As above over a cluster's nodes: each node counts the subscribers connected to it (<c>GET /stats</c> is the
    /// node's own), so the counts are summed.
    /// </summary>
    public async Task<bool> WaitForSubscribersAsync(IReadOnlyList<HttpClient> nodes, IReadOnlyCollection<string> tasks, int expected, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        int count;
        while ((count = (await Task.WhenAll(nodes.Select(node => CountSubscribersAsync(node, tasks)))).Sum()) < expected)
        {
            if (clock.Elapsed > limit)
            {
                Console.Error.WriteLine($"{Name} counts {count} of {expected} subscribers on {string.Join(", ", tasks.Take(3))}{(tasks.Count > 3 ? ", …" : "")} after {limit.TotalSeconds:F0} s");
                return false;
            }
            await Task.Delay(200);
        }
        return true;
    }
}
