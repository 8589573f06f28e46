using PushHub;
using PushHub.Events;
using PushHub.Observability;
using PushHub.Security;
using PushHub.Tasks;
using PushHub.Webhooks;
using PushHub.Sse;
using PushHub.WebSockets;
using Serilog;

var builder = WebApplication.CreateBuilder(args);

// One configuration file (appsettings.json at the repository root, which is where `dotnet run` starts us),
// every key overridable by environment variables (Storage__Path=...) and the command line.
if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

// Kestrel's limits from Kestrel:Limits (appsettings.json bounds request heads there): the host binds only that
// section's endpoints and certificates by itself.
builder.WebHost.ConfigureKestrel((context, options) => context.Configuration.GetSection("Kestrel:Limits").Bind(options.Limits));

// Each host keeps its own logger (preserveStaticLogger): with the static Log.Logger, every host in one process (the
// tests run dozens) wrote through whichever was built last, and the first to stop silenced all the others.
builder.Services.AddSerilog(preserveStaticLogger: true, configureLogger: (services, logger) =>
{
    logger.ReadFrom.Configuration(builder.Configuration).ReadFrom.Services(services).Enrich.FromLogContext();
    // Logs:Format = text (for people) or json (one object per line, for log shippers).
    // Console writes happen on a background thread: a synchronous write per request line cost the publish path
    // about a quarter of its CPU. Log.CloseAndFlush below makes sure the last lines still get out.
    var json = LogFormat.IsJson(builder.Configuration);
    logger.WriteTo.Async(sink =>
    {
        if (json)
        {
            sink.Console(new Serilog.Formatting.Compact.RenderedCompactJsonFormatter());
        }
        else
        {
            sink.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj} {RequestId}{NewLine}{Exception}");
        }
    });
});

CachingLoggerFactory.Wrap(builder.Services);

builder.Services.AddPushHub();
builder.Services.AddWebhooks();

var app = builder.Build();

app.UseMiddleware<RequestIdMiddleware>();
app.UseSerilogRequestLogging(options =>
{
    options.MessageTemplate = LogFormat.RequestTemplate;
    options.Logger = app.Services.GetRequiredService<Serilog.ILogger>();
});
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles(new StaticFileOptions
{
    // The dashboard holds a key in session storage: it must not be framed by another site, nor its files sniffed.
    OnPrepareResponse = context =>
    {
        var headers = context.Context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = "frame-ancestors 'none'";
    },
});
app.UsePushHubSecurity();

app.MapEvents();
app.MapSse();
app.MapWebSockets();
app.MapTasks();
app.MapHealth();
app.MapMetrics();
app.MapStats();
app.MapOpenApi();
app.MapWebhooks();
app.MapTokens();

// Run disposes the host on a clean stop and on a refusal to start alike, and with it this host's logger, which
// flushes the asynchronous console sink.
app.Run();

/// <summary>The entry point, visible to the tests' <c>WebApplicationFactory</c>.</summary>
public partial class Program;
