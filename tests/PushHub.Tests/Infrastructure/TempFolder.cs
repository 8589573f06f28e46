namespace PushHub.Tests.Infrastructure;

/// <summary>A fresh temporary folder for one test (databases of hub processes, say), removed on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = TestPaths.NewTempDirectory();

    public void Dispose() => TestPaths.TryDelete(Path);
}
