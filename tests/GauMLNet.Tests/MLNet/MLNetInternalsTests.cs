using GauMLNet.MLNet;

namespace GauMLNet.Tests.MLNet;

/// <summary>Fails loudly when an ML.NET upgrade moves the internals the persistence adapter relies on.</summary>
public class MLNetInternalsTests
{
    [Fact]
    public void TheLoadedMLNetIsThePinnedVersion() => Assert.Equal(MLNetInternals.PinnedVersion, MLNetInternals.LoadedVersion);

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
