using System.Reflection;
using GauMLNet.MLNet;
using GauMLNet.TorchSharp.Backend;

namespace GauMLNet.Tests.Architecture;

/// <summary>The assemblies show the architecture: GauMLNet.Core never references TorchSharp, and dependencies point one way.</summary>
public sealed class AssemblyDependencyTests
{
    private static readonly Assembly Core = typeof(GauTextClassificationTransformer).Assembly;
    private static readonly Assembly Torch = typeof(TorchSharpEngineFactory).Assembly;

    [Fact]
    public void CoreHasNoTorchSharpReference()
    {
        Assert.Equal("GauMLNet.Core", Core.GetName().Name);
        var references = Core.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.DoesNotContain(references, n => n.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("GauMLNet", references); // Core never points up at an engine
    }

    [Fact]
    public void CoreProjectFileReferencesNoEngine()
    {
        string project = File.ReadAllText(Path.Combine(Support.TestPaths.RepositoryRoot, "src", "GauMLNet.Core", "GauMLNet.Core.csproj"));
        Assert.DoesNotContain("TorchSharp", project, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("OnnxRuntime", project, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("ProjectReference", project);
    }

    [Fact]
    public void TheTorchSharpAssemblyPointsDownAtCore()
    {
        Assert.Contains("GauMLNet.Core", Torch.GetReferencedAssemblies().Select(a => a.Name));
        Assert.Contains("TorchSharp", Torch.GetReferencedAssemblies().Select(a => a.Name));
    }
}
