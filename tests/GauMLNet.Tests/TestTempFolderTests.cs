using System.Diagnostics;
using GauMLNet.Tests.Support;

namespace GauMLNet.Tests;

/// <summary>The suite's temporary folders do not outlive the test process that made them.</summary>
public class TestTempFolderTests
{
    [Fact]
    public void EveryTemporaryFolderOfThisRunIsUnderItsOwnProcessRoot()
    {
        string dir = TestPaths.NewTempDirectory();
        string root = Path.GetDirectoryName(dir)!;
        Assert.Equal(TestPaths.TempParent, Path.GetDirectoryName(root));
        Assert.StartsWith($"run-{Environment.ProcessId}-", Path.GetFileName(root));
    }

    [Fact]
    public void RootsOfRunsWhoseProcessIsGoneAreRemovedAndOthersKept()
    {
        string parent = TestPaths.NewTempDirectory();
        using var finished = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        finished.WaitForExit();
        string dead = Path.Combine(parent, $"run-{finished.Id}-a", "model");
        string alive = Path.Combine(parent, $"run-{Environment.ProcessId}-b");
        string other = Path.Combine(parent, "not-a-run");
        foreach (string dir in new[] { dead, alive, other }) Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dead, "weights.bin"), "left by a killed run");

        TestPaths.RemoveAbandonedRuns(parent);

        Assert.False(Directory.Exists(Path.GetDirectoryName(dead)));
        Assert.True(Directory.Exists(alive));
        Assert.True(Directory.Exists(other));
    }
}
