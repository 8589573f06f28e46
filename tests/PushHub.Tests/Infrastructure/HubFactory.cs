using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace PushHub.Tests.Infrastructure;

/// <summary>
/// The hub in-process, on its own temporary SQLite database (or its own Redis key prefix, see <see cref="TestStorage"/>),
/// with settings a test chooses. Give it a
/// <see cref="FakeTimeProvider"/> to drive time-based behaviour (retention, stuck tasks, retries) without waiting.
/// </summary>
public sealed class HubFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly TimeProvider? _time;
    private readonly bool _ownsDirectory;

    private readonly Action<IServiceCollection>? _services;

    public HubFactory(IDictionary<string, string?>? settings = null, TimeProvider? time = null, string? dataDirectory = null,
        Action<IServiceCollection>? services = null)
    {
        _services = services;
        _ownsDirectory = dataDirectory is null;
        DataDirectory = dataDirectory ?? TestPaths.NewTempDirectory();
        var databasePath = Path.Combine(DataDirectory, "pushhub.db");
        _settings = new Dictionary<string, string?>(TestStorage.Settings(databasePath), StringComparer.OrdinalIgnoreCase)
        {
            ["Storage:Path"] = databasePath,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
        _time = time;
    }

    /// <summary>The folder holding this hub's database.</summary>
    public string DataDirectory { get; }

    /// <summary>The hub's last warnings and errors, for failure messages.</summary>
    public CapturedWarnings Warnings { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(TestPaths.RepositoryRoot);
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(_settings));
        builder.ConfigureServices(services => services.AddSingleton<Serilog.Core.ILogEventSink>(Warnings));
        if (_time is not null)
        {
            builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton(_time)));
        }
        if (_services is not null)
        {
            builder.ConfigureServices(_services);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsDirectory)
        {
            TestPaths.TryDelete(DataDirectory);
        }
    }
}
