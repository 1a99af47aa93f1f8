using System.Text.RegularExpressions;
using GauMLNet.MLNet;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;

namespace GauMLNet.Tests.MLNet;

/// <summary>Fails loudly when an ML.NET upgrade moves the internals the persistence adapter relies on.</summary>
public class MLNetInternalsTests
{
    [Fact]
    public void TheTestsRunOnTheNewestSupportedMLNet() =>
        Assert.Equal(PackageVersion("Microsoft.ML"), MLNetInternals.LoadedVersion);

    [Fact]
    public void ThePackagesDeclareTheRangeTheAdapterNames()
    {
        string props = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "Directory.Packages.props"));
        var declared = Regex.Match(props, "<GauMLNetSupportedMLNet>(.*?)</GauMLNetSupportedMLNet>");
        Assert.True(declared.Success, "Directory.Packages.props declares no GauMLNetSupportedMLNet");
        Assert.Equal(MLNetInternals.SupportedRange, declared.Groups[1].Value);
        var ends = Regex.Match(MLNetInternals.SupportedRange, @"^\[(\d+\.\d+\.\d+), (\d+)\.0\.0\)$");
        Assert.True(ends.Success, MLNetInternals.SupportedRange);
        var loaded = Version.Parse(MLNetInternals.LoadedVersion);
        Assert.InRange(loaded, Version.Parse(ends.Groups[1].Value), new Version(int.Parse(ends.Groups[2].Value), 0));
        string core = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "src", "GauMLNet.Core", "GauMLNet.Core.csproj"));
        Assert.Contains("Include=\"Microsoft.ML\" VersionOverride=\"$(GauMLNetSupportedMLNet)\"", core);
    }

    private static string PackageVersion(string id)
    {
        string props = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "Directory.Packages.props"));
        return Regex.Match(props, $"<PackageVersion Include=\"{Regex.Escape(id)}\" Version=\"([^\"]+)\"").Groups[1].Value;
    }

    [Fact]
    public void EveryInternalMemberTheAdapterUsesExists() => MLNetInternals.Verify();

    [Fact]
    public void RegistrationIsIdempotent()
    {
        var ml = new Microsoft.ML.MLContext();
        ml.ComponentCatalog.RegisterGauMLNet();
        ml.ComponentCatalog.RegisterGauMLNet();
    }
}
