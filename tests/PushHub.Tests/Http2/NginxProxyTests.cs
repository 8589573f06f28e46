using System.Diagnostics;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Http2;

/// <summary>
/// The README's nginx configuration (<c>docs/nginx/pushhub-locations.conf</c>) in front of the hub, with Debian's nginx
/// on its own prefix and a loopback port: SSE passes unbuffered (an event arrives while the stream is open) and the
/// WebSocket upgrade goes through.
/// </summary>
public sealed class NginxProxyTests : LiveHubTest
{
    public const string NginxPath = "/usr/sbin/nginx";

    [NginxFact]
    public async Task SSE_and_WebSocket_pass_through_the_documented_nginx_configuration()
    {
        var prefix = TestPaths.NewTempDirectory();
        var port = TestPorts.Free();
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        var locations = Path.Combine(TestPaths.RepositoryRoot, "docs", "nginx", "pushhub-locations.conf");
        File.WriteAllText(Path.Combine(prefix, "nginx.conf"), $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/logs/error.log warn;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path {{prefix}}/body;
                proxy_temp_path {{prefix}}/proxy;
                fastcgi_temp_path {{prefix}}/fastcgi;
                uwsgi_temp_path {{prefix}}/uwsgi;
                scgi_temp_path {{prefix}}/scgi;
                map $http_upgrade $connection_upgrade { default upgrade; '' close; }
                upstream pushhub { server {{Hub.BaseAddress.Host}}:{{Hub.BaseAddress.Port}}; }
                server {
                    listen 127.0.0.1:{{port}};
                    include {{locations}};
                }
            }
            """);
        using var nginx = Process.Start(new ProcessStartInfo(NginxPath)
        {
            ArgumentList = { "-p", prefix, "-c", Path.Combine(prefix, "nginx.conf") },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        try
        {
            var proxied = new Uri($"http://127.0.0.1:{port}");
            using var client = new HttpClient { BaseAddress = proxied };
            await LiveHub.EventuallyAsync(() =>
            {
                try
                {
                    using var probe = new System.Net.Sockets.TcpClient();
                    probe.Connect("127.0.0.1", port);
                    return true;
                }
                catch (System.Net.Sockets.SocketException)
                {
                    Assert.False(nginx.HasExited, $"nginx exited: {nginx.StandardError.ReadToEnd()}");
                    return false;
                }
            }, Timeout.Token);

            await using var sse = await SseClient.OpenAsync(client, "?task=proxied", cancellationToken: Timeout.Token);
            await using var ws = await WsClient.ConnectAsync(proxied, "?task=proxied", Timeout.Token);
            Assert.Equal("subscribed", (await ws.ReceiveJsonAsync())["op"]!.GetValue<string>());
            var seq = await client.PublishSeqAsync("proxied", "task.started");

            // One small event, no more data after it: only an unbuffered proxy lets it through while the stream is open.
            Assert.Equal(seq.ToString(), (await sse.NextAsync())!.Value.EventId);
            Assert.Equal(seq, (await ws.ReceiveJsonAsync())["seq"]!.GetValue<long>());
        }
        finally
        {
            if (!nginx.HasExited)
            {
                nginx.Kill();
                await nginx.WaitForExitAsync();
            }
            TestPaths.TryDelete(prefix);
        }
    }
}

/// <summary>A fact that needs Debian's nginx; it is skipped, saying why, where it is not installed.</summary>
public sealed class NginxFactAttribute : FactAttribute
{
    public NginxFactAttribute()
    {
        if (!File.Exists(NginxProxyTests.NginxPath))
        {
            Skip = $"nginx is not installed at {NginxProxyTests.NginxPath}: run 'apt-get install nginx-light' (.ci/run does) to run the proxy test.";
        }
    }
}
