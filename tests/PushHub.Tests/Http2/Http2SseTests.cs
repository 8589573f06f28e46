using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Http2;

/// <summary>
/// SSE over HTTP/2 with TLS, as a browser with several tabs uses it: the hub configured with a certificate through
/// ASP.NET Core's own settings (<c>Kestrel:Endpoints:Https</c>), and an independent HTTP/2 client (node's
/// <c>http2</c> module) that opens several streams on one connection, each of which gets a published event.
/// </summary>
public sealed class Http2SseTests
{
    private const int Streams = 4;

    [NodeFact]
    public async Task Several_SSE_streams_on_one_HTTP2_TLS_connection_all_receive_a_published_event()
    {
        var directory = TestPaths.NewTempDirectory();
        try
        {
            var (certPath, keyPath) = WriteSelfSignedCertificate(directory);
            var httpsPort = TestPorts.Free();
            var origin = $"https://127.0.0.1:{httpsPort}";
            using var hub = await HubProcess.StartAsync(Path.Combine(directory, "pushhub.db"), address =>
            [
                "--Kestrel:Endpoints:Http:Url", address.ToString(),
                "--Kestrel:Endpoints:Https:Url", origin,
                "--Kestrel:Endpoints:Https:Certificate:Path", certPath,
                "--Kestrel:Endpoints:Https:Certificate:KeyPath", keyPath,
            ]);
            using var client = hub.CreateClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

            using var node = Process.Start(new ProcessStartInfo(NodeFactAttribute.NodePath)
            {
                ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Http2", "sse_over_h2.mjs"), origin, certPath, "/events/sse?task=h2", Streams.ToString() },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var output = System.Threading.Channels.Channel.CreateUnbounded<string>();
            var errors = new System.Text.StringBuilder();
            node.OutputDataReceived += (_, line) =>
            {
                if (line.Data is null)
                {
                    output.Writer.TryComplete();
                }
                else
                {
                    output.Writer.TryWrite(line.Data);
                }
            };
            node.ErrorDataReceived += (_, line) =>
            {
                lock (errors)
                {
                    errors.AppendLine(line.Data);
                }
            };
            // A failing test must not leave the client running.
            using var killNode = new ProcessKiller(node);
            node.BeginOutputReadLine();
            node.BeginErrorReadLine();
            var lines = new List<string>();
            async Task<string> LineAsync()
            {
                string? line = null;
                var more = await output.Reader.WaitToReadAsync(timeout.Token) && output.Reader.TryRead(out line);
                Assert.True(more, $"node ended early: {string.Join(" | ", lines)} {errors}");
                lines.Add(line!);
                return line!;
            }

            Assert.Equal("alpn h2", await LineAsync());
            Assert.Equal("ready", await LineAsync());
            var seq = await client.PublishSeqAsync("h2", "task.started");
            var events = new List<string>();
            for (var i = 0; i < Streams; i++)
            {
                events.Add(await LineAsync());
            }
            await node.WaitForExitAsync(timeout.Token);

            Assert.Equal(0, node.ExitCode);
            Assert.Equal(Enumerable.Range(0, Streams).Select(i => $"event {i} {seq}"), events.Order(StringComparer.Ordinal));
        }
        finally
        {
            TestPaths.TryDelete(directory);
        }
    }

    private sealed class ProcessKiller(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
    }

    /// <summary>A certificate for 127.0.0.1, as PEM files (what <c>Certificate:Path</c>/<c>KeyPath</c> take).</summary>
    private static (string CertPath, string KeyPath) WriteSelfSignedCertificate(string directory)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        var certPath = Path.Combine(directory, "hub.crt");
        var keyPath = Path.Combine(directory, "hub.key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }
}
