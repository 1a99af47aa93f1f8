using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Modeling;

/// <summary>Our encoder against the independent PyTorch implementation's outputs on the same weights.</summary>
public class ReferenceParityTests(ITestOutputHelper output)
{
    [Fact]
    public void TinyCheckpointReproducesReferenceOutputs()
    {
        var fixture = TinyFixture.Load();
        using var encoder = GauAlphaEncoder.Load(TestPaths.TinyModel, "cpu");
        var encoded = encoder.Encode(fixture.InputIds, fixture.TokenTypeIds, fixture.AttentionMask);
        var (hidden, logits) = fixture.MaxAbsDifference(encoded);
        output.WriteLine($"max |Δ| last_hidden_state = {hidden:E2}, mlm_logits_first_token = {logits:E2}");
        Assert.True(hidden < 1e-4, $"hidden states differ by {hidden}");
        Assert.True(logits < 1e-4, $"MLM logits differ by {logits}");
    }
}
