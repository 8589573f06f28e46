using System.Diagnostics;

namespace PushHub.Observability;

/// <summary>
/// The process's runtime figures as <c>GET /stats</c> shows them: cumulative since start, so two reads around a
/// benchmark give CPU time, allocations and GC pauses per request, and a stall shows up as a jump in pause time or
/// in the thread pool's queue.
/// </summary>
/// <param name="CpuMs">User and system CPU time of the whole process.</param>
/// <param name="AllocatedBytes">Bytes allocated on the managed heap by every thread.</param>
/// <param name="GcPauseMs">Total time the runtime was paused for garbage collections.</param>
/// <param name="GcCounts">Collections of generation 0, 1 and 2.</param>
/// <param name="ThreadPoolThreads">Threads in the pool now.</param>
/// <param name="ThreadPoolQueued">Work items waiting for a pool thread now.</param>
/// <param name="ThreadPoolCompleted">Work items the pool has run.</param>
/// <param name="ServerGc">True with the server garbage collector.</param>
public sealed record RuntimeStats(
    long CpuMs,
    long AllocatedBytes,
    double GcPauseMs,
    int[] GcCounts,
    int ThreadPoolThreads,
    long ThreadPoolQueued,
    long ThreadPoolCompleted,
    bool ServerGc)
{
    public static RuntimeStats Now()
    {
        using var process = Process.GetCurrentProcess();
        return new RuntimeStats(
            (long)process.TotalProcessorTime.TotalMilliseconds,
            GC.GetTotalAllocatedBytes(precise: false),
            GC.GetTotalPauseDuration().TotalMilliseconds,
            [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)],
            ThreadPool.ThreadCount,
            ThreadPool.PendingWorkItemCount,
            ThreadPool.CompletedWorkItemCount,
            System.Runtime.GCSettings.IsServerGC);
    }
}
