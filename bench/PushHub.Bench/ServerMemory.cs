using System.Globalization;

namespace PushHub.Bench;

/// <summary>
/// The server's processes and their memory, from <c>/proc</c> (Linux): the processes holding the listening socket
/// of a port (PushHub: one; nginx: the master and its workers), and their resident (VmRSS) and proportional
/// (Pss: shared pages split between the processes sharing them, so nginx's shared memory counts once) set sizes.
/// </summary>
internal static class ServerMemory
{
    /// <summary>The pids that hold a socket listening on 127.0.0.1:<paramref name="port"/> (or any address).</summary>
    public static List<int> FindListeners(int port)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }
            // "  sl  local_address rem_address   st ... inode": local as HEXIP:HEXPORT, st 0A = LISTEN.
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[3] == "0A" && int.Parse(fields[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
                {
                    inodes.Add($"socket:[{fields[9]}]");
                }
            }
        }
        var pids = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }
            try
            {
                if (Directory.EnumerateFileSystemEntries(Path.Combine(directory, "fd")).Any(fd => new FileInfo(fd).LinkTarget is { } link && inodes.Contains(link)))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another user's process, or one that just exited: not the server.
            }
        }
        return pids;
    }

    /// <summary>VmRSS summed over <paramref name="pids"/>, in KB.</summary>
    public static long ResidentKb(IEnumerable<int> pids) => pids.Sum(pid => Field($"/proc/{pid}/status", "VmRSS:"));

    /// <summary>Pss summed over <paramref name="pids"/>, in KB (0 when smaps_rollup is not readable).</summary>
    public static long ProportionalKb(IEnumerable<int> pids) => pids.Sum(pid => Field($"/proc/{pid}/smaps_rollup", "Pss:"));

    private static long Field(string path, string name)
    {
        try
        {
            var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
