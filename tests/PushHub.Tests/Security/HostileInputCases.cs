using System.Text;

namespace PushHub.Tests.Security;

/// <summary>One hostile request: it must get a 4xx problem+json and leave the store as it was.</summary>
public sealed record HostileCase(string Name, HttpMethod Method, string Path, byte[]? Body = null, string? ContentType = "application/json",
    IReadOnlyList<(string Name, string Value)>? Headers = null, bool Authenticated = true);

/// <summary>The table of hostile requests against the existing endpoints.</summary>
public static class HostileInputCases
{
    private static readonly string s_longId = new('a', 129);

    public static IReadOnlyDictionary<string, HostileCase> All { get; } = Build().ToDictionary(c => c.Name);

    private static HostileCase Publish(string name, string body, string? contentType = "application/json") =>
        new(name, HttpMethod.Post, "/events", Encoding.UTF8.GetBytes(body), contentType);

    private static HostileCase PublishBytes(string name, byte[] body) => new(name, HttpMethod.Post, "/events", body);

    private static HostileCase Get(string name, string path) => new(name, HttpMethod.Get, path, null, null);

    private static HostileCase Event(string name, string taskIdJson, string typeJson = "\"task.started\"", string data = "{}") =>
        Publish(name, $$"""{"task_id":{{taskIdJson}},"type":{{typeJson}},"data":{{data}}}""");

    private static IEnumerable<HostileCase> Build()
    {
        // Broken JSON.
        foreach (var (name, body) in new[]
        {
            ("empty body", ""), ("open brace", "{"), ("close brace", "}"), ("open bracket", "["), ("null", "null"), ("true", "true"),
            ("number", "42"), ("string", "\"x\""), ("empty array", "[]"), ("empty object", "{}"), ("trailing comma", """{"task_id":"t","type":"x",}"""),
            ("single quotes", "{'task_id':'t','type':'x'}"), ("comment", """{"task_id":"t", /* c */ "type":"x"}"""),
            ("two documents", """{"task_id":"t","type":"x"}{"task_id":"t","type":"x"}"""), ("NaN", """{"task_id":"t","type":"task.progress","data":{"percent":NaN}}"""),
            ("unterminated string", """{"task_id":"t"""), ("bare word", "hello"), ("only whitespace", "   \r\n\t "),
            ("array of numbers", "[1,2,3]"), ("array of nulls", "[null]"), ("nested empty arrays", "[[]]"),
            ("unknown field", """{"task_id":"t","type":"x","extra":1}"""), ("seq given", """{"seq":1,"task_id":"t","type":"x"}"""),
            ("timestamp given", """{"task_id":"t","type":"x","timestamp":"2026-01-01T00:00:00Z"}"""), ("missing type", """{"task_id":"t"}"""),
            ("missing task_id", """{"type":"x"}"""), ("batch with one bad item", """[{"task_id":"t","type":"x"},{"task_id":"t"}]"""),
            ("batch with bad last item", """[{"task_id":"t","type":"x"},{"task_id":"t","type":"x"},1]"""),
            ("leading BOM", "\uFEFF{\"task_id\":\"t\",\"type\":\"x\"}"), ("escaped NUL key", """{"task_id\u0000":"t","type":"x"}"""),
        })
        {
            yield return Publish("json: " + name, body);
        }
        yield return Publish("json: nested arrays 1000 deep", new string('[', 1000) + new string(']', 1000));
        yield return Publish("json: nested objects 200 deep in data", """{"task_id":"t","type":"x","data":""" + string.Concat(Enumerable.Repeat("""{"a":""", 200)) + "1" + new string('}', 201));
        yield return Publish("json: 1001 events", "[" + string.Join(",", Enumerable.Repeat("""{"task_id":"t","type":"x"}""", 1001)) + "]");

        // Huge and odd numbers.
        foreach (var percent in new[] { "1e400", "-1e400", "101", "-0.0001", "100.0000001", "\"50\"", "true", "[50]", "{}", "99999999999999999999999999999" })
        {
            yield return Event("number: percent " + percent, "\"t\"", "\"task.progress\"", $$"""{"percent":{{percent}}}""");
        }
        yield return Event("number: data is a huge number", "\"t\"", data: "1e400");
        yield return Event("number: task_id is a number", "12345");
        yield return Event("number: type is a number", "\"t\"", "1e308");

        // Invalid UTF-8.
        foreach (var (name, bytes) in new (string, byte[])[]
        {
            ("lone 0xFF", [0xFF]), ("overlong slash", [0xC0, 0xAF]), ("truncated sequence", [0xE2, 0x82]), ("surrogate half", [0xED, 0xA0, 0x80]),
            ("0xFE", [0xFE]), ("continuation only", [0x80]),
        })
        {
            var prefix = "{\"task_id\":\"t\",\"type\":\"x\",\"data\":{\"m\":\""u8.ToArray();
            yield return PublishBytes("utf8: " + name + " in data", [.. prefix, .. bytes, .. "\"}}"u8.ToArray()]);
            yield return PublishBytes("utf8: " + name + " in task_id", [.. "{\"task_id\":\"a"u8.ToArray(), .. bytes, .. "\",\"type\":\"x\"}"u8.ToArray()]);
        }
        yield return Event("utf8: escaped lone surrogate in task_id", "\"a\\ud800\"");
        yield return Event("utf8: escaped lone surrogate in type", "\"t\"", "\"x\\udc00\"");
        yield return Event("utf8: escaped lone surrogate in data.message", "\"t\"", "\"task.progress\"", """{"percent":1,"message":"\ud800"}""");
        yield return Event("utf8: escaped lone surrogate in a data field", "\"t\"", data: """{"note":"x\udfff"}""");
        yield return Event("utf8: escaped lone surrogate as a data key", "\"t\"", data: """{"\ud800":1}""");
        yield return PublishBytes("utf8: UTF-16 body", Encoding.Unicode.GetBytes("""{"task_id":"t","type":"x"}"""));

        // Wrong content types.
        foreach (var contentType in new[] { "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/octet-stream", "text/json-ish", "application/jsonx" })
        {
            yield return Publish("content type: " + contentType, """{"task_id":"t","type":"x"}""", contentType);
        }
        yield return Publish("content type: none", """{"task_id":"t","type":"x"}""", null);

        // Oversized bodies (the hostile hub sets Limits:MaxRequestBytes to 100000).
        yield return Event("size: event over MaxEventBytes", "\"t\"", data: $$"""{"m":"{{new string('x', 70_000)}}"}""");
        yield return Publish("size: body over MaxRequestBytes", "[" + string.Join(",", Enumerable.Repeat("{\"task_id\":\"t\",\"type\":\"x\",\"data\":{\"m\":\"" + new string('y', 1000) + "\"}}", 120)) + "]");

        // Task ids and types that would escape a path, a header or an SSE frame.
        foreach (var (name, id) in new[]
        {
            ("slash", "a/b"), ("dot dot", ".."), ("dot dot slash", "../etc/passwd"), ("leading dot", ".hidden"), ("NUL", "a\\u0000b"),
            ("CRLF", "a\\r\\nb"), ("LF", "a\\nb"), ("tab", "a\\tb"), ("space", "a b"), ("empty", ""), ("129 chars", s_longId),
            ("leading dash", "-a"), ("non-ASCII", "ü"), ("star", "build-*"), ("backslash", "a\\\\b"), ("percent-encoded", "a%2Fb"),
            ("SSE injection", "a\\n\\ndata: x"), ("unicode line separator", "a\\u2028b"),
        })
        {
            yield return Event("task_id: " + name, $"\"{id}\"");
        }
        foreach (var (name, type) in new[]
        {
            ("uppercase", "Task.Progress"), ("space", "task progress"), ("LF", "task\\nprogress"), ("SSE frame break", "x\\r\\ndata: evil"),
            ("65 chars", new string('a', 65)), ("empty", ""), ("leading dot", ".task"), ("double dot", "task..progress"), ("colon", "event:"),
            ("null", null), ("NUL", "a\\u0000"),
        })
        {
            yield return Event("type: " + name, "\"t\"", type is null ? "null" : $"\"{type}\"");
        }
        yield return Event("data: array", "\"t\"", data: "[]");
        yield return Event("data: string", "\"t\"", data: "\"x\"");
        yield return Event("data: message not a string", "\"t\"", "\"task.progress\"", """{"percent":1,"message":{}}""");

        // Headers.
        yield return new HostileCase("header: Idempotency-Key too long", HttpMethod.Post, "/events", Encoding.UTF8.GetBytes("""{"task_id":"t","type":"x"}"""), Headers: [("Idempotency-Key", new string('k', 300))]);
        yield return new HostileCase("header: Idempotency-Key on a batch", HttpMethod.Post, "/events", Encoding.UTF8.GetBytes("""[{"task_id":"t","type":"x"}]"""), Headers: [("Idempotency-Key", "k1")]);
        yield return new HostileCase("header: Idempotency-Key twice", HttpMethod.Post, "/events", Encoding.UTF8.GetBytes("""{"task_id":"t","type":"x"}"""), Headers: [("Idempotency-Key", "k1"), ("Idempotency-Key", "k2")]);
        yield return new HostileCase("header: Idempotency-Key non-ASCII", HttpMethod.Post, "/events", Encoding.UTF8.GetBytes("""{"task_id":"t","type":"x"}"""), Headers: [("Idempotency-Key", "ключ")]);
        yield return new HostileCase("header: oversized Authorization", HttpMethod.Post, "/events", Encoding.UTF8.GetBytes("""{"task_id":"t","type":"x"}"""), Headers: [("Authorization", "Bearer " + new string('z', 100_000))], Authenticated: false);
        yield return new HostileCase("header: oversized X-Api-Key", HttpMethod.Get, "/events?after=0", Headers: [("X-Api-Key", new string('z', 100_000))], Authenticated: false);
        yield return new HostileCase("header: Basic credentials", HttpMethod.Get, "/events?after=0", Headers: [("Authorization", "Basic YWRtaW46YWRtaW4=")], Authenticated: false);
        yield return new HostileCase("header: empty Bearer", HttpMethod.Get, "/events?after=0", Headers: [("Authorization", "Bearer ")], Authenticated: false);
        yield return new HostileCase("header: X-Api-Key twice", HttpMethod.Get, "/events?after=0", Headers: [("X-Api-Key", "a"), ("X-Api-Key", "b")], Authenticated: false);
        yield return new HostileCase("header: CRLF in X-Api-Key", HttpMethod.Get, "/events?after=0", Headers: [("X-Api-Key", "a\r\nX-Injected: 1")], Authenticated: false);
        yield return new HostileCase("token: alg none", HttpMethod.Get, "/events?after=0&access_token=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIiwidGFza3MiOlsiKiJdfQ.", Authenticated: false);
        yield return new HostileCase("token: junk", HttpMethod.Get, "/events?after=0&access_token=junk", Authenticated: false);
        yield return new HostileCase("token: empty", HttpMethod.Get, "/events?after=0&access_token=", Authenticated: false);
        yield return new HostileCase("token: repeated", HttpMethod.Get, "/events?after=0&access_token=a&access_token=b", Authenticated: false);

        // Query parameters of the poll.
        foreach (var query in new[]
        {
            "after=-1", "after=abc", "after=1e3", "after=99999999999999999999", "after=", "after=1&after=2", "after=%201", "after=+1", "after=0x10",
            "after=1.5", "after=%EF%BC%91", "limit=0", "limit=1001", "limit=-5", "limit=abc", "limit=2147483648", "limit=1&limit=2",
            "wait=-1", "wait=61", "wait=1.5", "wait=99999999999", "task=", "task=..%2Fx", "task=a%2Fb", "task=a%0D%0Ab", "task=%00",
            "task=" + s_longId, "task=ok&task=bad%20one", "type=Task", "type=a%0Ab", "type=", "unknown=1", "after=0&foo=bar", "AFTER=0",
            "after[]=1", "after=%ZZ",
        })
        {
            yield return Get("poll: " + query, "/events?" + query);
        }

        // Tasks.
        foreach (var query in new[] { "status=bogus", "limit=0", "limit=1001", "status=running&status=failed", "x=1", "limit=-1", "status=" })
        {
            yield return Get("tasks: " + query, "/tasks?" + query);
        }
        foreach (var id in new[] { "a%20b", "a%0Ab", s_longId, "-x", "a%2Fb", "%7F", "..%2F..%2Fetc", "never-published" })
        {
            yield return Get("task: " + id, "/tasks/" + id);
        }

        // Methods the endpoints do not have.
        yield return new HostileCase("method: PUT /events", HttpMethod.Put, "/events", Encoding.UTF8.GetBytes("""{"task_id":"t","type":"x"}"""));
        yield return new HostileCase("method: DELETE /events", HttpMethod.Delete, "/events", null, null);
        yield return new HostileCase("method: POST /tasks", HttpMethod.Post, "/tasks", Encoding.UTF8.GetBytes("{}"));
        yield return new HostileCase("method: PATCH /tasks/t", HttpMethod.Patch, "/tasks/t", Encoding.UTF8.GetBytes("{}"));
        yield return new HostileCase("method: GET /tokens", HttpMethod.Get, "/tokens", null, null);

        // Subscribe token requests.
        foreach (var (name, body) in new[]
        {
            ("not JSON", "tasks"), ("array", "[]"), ("ttl 0", """{"tasks":["t"],"ttl_seconds":0}"""), ("ttl negative", """{"tasks":["t"],"ttl_seconds":-1}"""),
            ("ttl too long", """{"tasks":["t"],"ttl_seconds":86401}"""), ("ttl fraction", """{"tasks":["t"],"ttl_seconds":1.5}"""),
            ("ttl string", """{"tasks":["t"],"ttl_seconds":"60"}"""), ("ttl huge", """{"tasks":["t"],"ttl_seconds":1e400}"""),
            ("no tasks", """{"ttl_seconds":60}"""), ("empty tasks", """{"tasks":[]}"""), ("tasks a string", """{"tasks":"t"}"""),
            ("task a number", """{"tasks":[1]}"""), ("task with slash", """{"tasks":["a/b"]}"""), ("double star", """{"tasks":["**"]}"""),
            ("star inside", """{"tasks":["build-*x"]}"""), ("CRLF task", """{"tasks":["a\r\nb"]}"""), ("deep", new string('[', 500) + new string(']', 500)),
        })
        {
            yield return new HostileCase("tokens: " + name, HttpMethod.Post, "/tokens", Encoding.UTF8.GetBytes(body));
        }
        yield return new HostileCase("tokens: text/plain", HttpMethod.Post, "/tokens", Encoding.UTF8.GetBytes("""{"tasks":["t"]}"""), "text/plain");
        yield return new HostileCase("tokens: oversized body", HttpMethod.Post, "/tokens", Encoding.UTF8.GetBytes("""{"tasks":["t"],"pad":""" + "\"" + new string('p', 70_000) + "\"}"));
    }
}
