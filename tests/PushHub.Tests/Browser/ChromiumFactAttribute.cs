namespace PushHub.Tests.Browser;

/// <summary>A fact that needs Debian's Chromium; it is skipped, saying why, where that is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(ChromiumPath))
        {
            Skip = $"Chromium is not installed at {ChromiumPath}: run 'apt-get install chromium' (.ci/run does) to run browser tests.";
        }
    }
}
