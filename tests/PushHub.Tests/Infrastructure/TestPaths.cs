namespace PushHub.Tests.Infrastructure;

public static class TestPaths
{
    /// <summary>The repository root: the folder holding PushHub.sln.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    public static string NewTempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "pushhub-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(path);
        return path;
    }

    public static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PushHub.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("PushHub.sln was not found above " + AppContext.BaseDirectory);
    }
}
