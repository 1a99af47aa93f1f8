using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp.Runtime;

namespace GauMLNet.Tests.Runtime;

/// <summary>Process-wide settings are the application's choice: off unless its project or its environment opts in.</summary>
public class ProcessSettingsTests
{
    private static Func<string, string?> Environment(string? heap) => name => name == ProcessSettings.LargeBlockHeapVariable ? heap : null;

    [Theory]
    [InlineData(null, null, false, "did not opt in")]
    [InlineData(null, false, false, "did not opt in")]
    [InlineData(null, true, true, "opted in")]
    [InlineData("off", true, false, "=off")]
    [InlineData("ON", null, true, "=on")]
    public void TheLargeBlockHeapIsOnOnlyWhenAsked(string? variable, bool? appSwitch, bool on, string why)
    {
        var decision = ProcessSettings.DecideLargeBlockHeap(Environment(variable), appSwitch);
        Assert.Equal(on, decision.On);
        Assert.Contains(why, decision.Why);
    }

    [Fact]
    public void AnUnknownValueIsAnError() =>
        Assert.Contains("expected on or off", Assert.Throws<InvalidOperationException>(() => ProcessSettings.DecideLargeBlockHeap(Environment("maybe"), null)).Message);

    [Fact]
    public void TheProjectPropertiesBecomeRuntimeconfigSwitches()
    {
        // This test project opts in; its runtimeconfig.json carries both switches, and GauMLNet reads them.
        string config = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "GauMLNet.Tests.runtimeconfig.json"));
        Assert.Contains($"\"{ProcessSettings.MklVendorDispatchSwitch}\": true", config);
        Assert.Contains($"\"{ProcessSettings.LargeBlockHeapSwitch}\": true", config);
        Assert.True(ProcessSettings.KeepsLargeBlocks || System.Environment.GetEnvironmentVariable(ProcessSettings.LargeBlockHeapVariable) == "off");
    }

    [Fact]
    public void AHostThatDoesNotOptInGetsNeither()
    {
        // GauMLNet.Serving.Tests is such a host: a server's test project with no opt-in. Its runtimeconfig has no switch,
        // and the package's targets add none unless the property is set (the consumer app of .ci/package-check runs it).
        string serving = Path.Combine(TestPaths.RepositoryRoot, "tests", "GauMLNet.Serving.Tests", "GauMLNet.Serving.Tests.csproj");
        Assert.DoesNotContain("GauMklVendorDispatch", File.ReadAllText(serving));
        string targets = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "build", "GauMLNet.ProcessSettings.targets"));
        Assert.Contains("Condition=\"'$(GauMklVendorDispatch)' != ''\"", targets);
        Assert.Contains("Condition=\"'$(GauLargeBlockHeap)' != ''\"", targets);
        var decision = MklVendorDispatch.Apply(_ => null, optedIn: null, () => throw new InvalidOperationException("the CPU must not be read"));
        Assert.Equal(MklVendorDispatchState.Kept, decision.State);
    }
}
