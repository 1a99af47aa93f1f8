using GauMLNet.Storage;
using GauMLNet.Tests.Support;

namespace GauMLNet.Tests;

public class AtomicFileTests
{
    [Fact]
    public void AWriteThatFailsHalfwayLeavesThePreviousFileAndNoTemporary()
    {
        string dir = TestPaths.NewTempDirectory();
        string path = Path.Combine(dir, "model.safetensors");
        File.WriteAllText(path, "previous checkpoint");

        Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[4096]);
            throw new IOException("disk full (simulated)");
        }));

        Assert.Equal("previous checkpoint", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir));
    }

    [Fact]
    public void ASuccessfulWriteReplacesTheFile()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "sub", "config.json");
        AtomicFile.WriteAllText(path, "one");
        AtomicFile.WriteAllText(path, "two");
        Assert.Equal("two", File.ReadAllText(path));
    }
}
