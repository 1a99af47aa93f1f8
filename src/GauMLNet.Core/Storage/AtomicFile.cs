using System.Text.RegularExpressions;

namespace GauMLNet.Storage;

/// <summary>Writes that never leave a half-written file behind: write a sibling temporary file, flush it to disk, then rename over the target.</summary>
internal static partial class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            FaultPoints.Step($"rename {temp} to {full}");
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, TextFiles.StrictUtf8, leaveOpen: true); w.Write(text); });

    /// <summary>Whether a file is one of this class's temporary files (left behind only by a killed process).</summary>
    public static bool IsTemporary(string path) => TemporaryName().IsMatch(Path.GetFileName(path));

    /// <summary>Deletes temporary files a killed writer left in a directory (not in its subdirectories).</summary>
    public static int RemoveLeftovers(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        var leftovers = Directory.GetFiles(directory).Where(IsTemporary).ToList();
        foreach (string file in leftovers) File.Delete(file);
        return leftovers.Count;
    }

    [GeneratedRegex(@"\.[0-9a-f]{8}\.tmp$")]
    private static partial Regex TemporaryName();
}
