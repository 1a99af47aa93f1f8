namespace GauMLNet.Tests.Support;

/// <summary>Where the bundled fixtures and the optional ../shared folder are.</summary>
public static class TestPaths
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static string TinyModel => Fixture("gau-alpha-tiny");

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "GauMLNet.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException("GauMLNet.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>../shared beside the checkout, or null on a user's clone that lacks it.</summary>
    public static string? Shared
    {
        get
        {
            string candidate = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared"));
            return Directory.Exists(candidate) ? candidate : null;
        }
    }

    /// <summary>../shared, or a visible skip (SkippableFact) naming what is missing.</summary>
    public static string RequireShared()
    {
        Skip.If(Shared is null, $"../shared is not beside the checkout ({Path.GetFullPath(Path.Combine(RepositoryRoot, ".."))}); this test reads it");
        return Shared!;
    }

    /// <summary>
    /// A new empty folder under this test run's root. The root is deleted as the process exits, but that does not always
    /// finish (a CI run left 522 folders, 1 GB); the next run deletes whatever an earlier run left.
    /// </summary>
    public static string NewTempDirectory()
    {
        string dir = Path.Combine(RunRoot.Value, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Where the temporary folders of all test runs are: one "run-PID-…" folder per test process.</summary>
    public static string TempParent => Path.Combine(Path.GetTempPath(), "gaumlnet-tests");

    private static readonly Lazy<string> RunRoot = new(CreateRunRoot);

    // Hundreds of trained models a run: kept, they filled the disk a later build needed.
    private static string CreateRunRoot()
    {
        RemoveAbandonedRuns(TempParent);
        string root = Path.Combine(TempParent, $"run-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(root);
        return root;
    }

    /// <summary>Removes the roots of runs whose process is gone (killed before its exit handler ran, or during it).</summary>
    public static void RemoveAbandonedRuns(string parent)
    {
        if (!Directory.Exists(parent)) return;
        foreach (string dir in Directory.EnumerateDirectories(parent, "run-*"))
        {
            string[] parts = Path.GetFileName(dir).Split('-');
            if (parts.Length == 3 && int.TryParse(parts[1], out int pid) && !ProcessIsAlive(pid)) TryDelete(dir);
        }
    }

    private static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { } // another run's file still open: the next run removes it
        catch (UnauthorizedAccessException) { }
    }
}
