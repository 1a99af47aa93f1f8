using GauMLNet.Build;
using GauMLNet.Tests.Support;

namespace GauMLNet.Tests.Build;

/// <summary>The build's native-load fix for TorchSharp on older glibc/libstdc++ systems.</summary>
public class GlibcxxWeakRequirementTests
{
    private const string Version = "GLIBCXX_3.4.32";

    private static string? PackagedLibrary()
    {
        string home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? path : null;
    }

    [SkippableFact]
    public void MarksTheRequirementWeakOnceAndOnlyOnce()
    {
        string packaged = RequirePackagedLibrary();
        string copy = Path.Combine(TestPaths.NewTempDirectory(), "libLibTorchSharp.so");
        File.Copy(packaged, copy);

        Assert.False(ElfVersionRequirement.IsWeak(copy, Version));
        Assert.Equal(WeakPatchOutcome.Patched, ElfVersionRequirement.MarkWeak(copy, Version));
        Assert.True(ElfVersionRequirement.IsWeak(copy, Version));
        Assert.Equal(WeakPatchOutcome.AlreadyWeak, ElfVersionRequirement.MarkWeak(copy, Version));

        var original = File.ReadAllBytes(packaged);
        var patched = File.ReadAllBytes(copy);
        Assert.Equal(original.Length, patched.Length);
        Assert.Single(Enumerable.Range(0, original.Length), i => original[i] != patched[i]); // one flag byte, nothing else
    }

    private static string RequirePackagedLibrary()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the libstdc++ fix applies to Linux only");
        string? packaged = PackagedLibrary();
        Skip.If(packaged is null, "TorchSharp 0.107.0's linux-x64 native library is not in the NuGet cache");
        return packaged!;
    }

    [Fact]
    public void LeavesOtherVersionsAndNonElfFilesAlone()
    {
        string text = Path.Combine(TestPaths.NewTempDirectory(), "not-elf.so");
        File.WriteAllText(text, new string('x', 200));
        Assert.Equal(WeakPatchOutcome.NotElf64, ElfVersionRequirement.MarkWeak(text, Version));
        if (PackagedLibrary() is { } packaged)
        {
            string copy = Path.Combine(TestPaths.NewTempDirectory(), "libLibTorchSharp.so");
            File.Copy(packaged, copy);
            Assert.Equal(WeakPatchOutcome.NoSuchRequirement, ElfVersionRequirement.MarkWeak(copy, "GLIBCXX_9.9.99"));
        }
    }

    [SkippableFact]
    public void TheBuildPatchedTheCopyBesideTheTestsButNotTheNuGetCache()
    {
        string packaged = RequirePackagedLibrary();
        string output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        bool systemHasIt = ElfVersionRequirement.SystemLibStdCxxProvides(Version, ElfVersionRequirement.DefaultLibraryDirectories());
        Assert.Equal(!systemHasIt, ElfVersionRequirement.IsWeak(output, Version));
        Assert.False(ElfVersionRequirement.IsWeak(packaged, Version));
    }
}
