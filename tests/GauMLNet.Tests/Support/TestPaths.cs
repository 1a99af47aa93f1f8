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

    public static string NewTempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "gaumlnet-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
