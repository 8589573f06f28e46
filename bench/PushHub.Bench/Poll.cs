using System.Diagnostics;

namespace PushHub.Bench;

/// <summary>Waiting on a condition the client can see, with a limit, so no scenario can hang.</summary>
internal static class Poll
{
    /// <summary>Checks <paramref name="done"/> every 100 ms; false when it is still false after <paramref name="limit"/>.</summary>
    public static async Task<bool> UntilAsync(Func<bool> done, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > limit)
            {
                return false;
            }
            await Task.Delay(100);
        }
        return true;
    }
}
