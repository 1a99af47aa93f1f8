using GauMLNet.Onnx.Tests.Support;

namespace GauMLNet.Onnx.Tests;

/// <summary>The MLM export on ONNX Runtime against hidden states and logits computed by an independent PyTorch implementation.</summary>
public sealed class FixtureParityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(true, false, true)]
    [InlineData(true, true, false)]
    [InlineData(false, false, true)]
    public void TheMlmExportMatchesThePyTorchFixture(bool onnxRuntimeOperators, bool fusedAttention, bool separateProjections)
    {
        var fixture = TinyFixture.Load();
        byte[] model = GauOnnxExporter.Export(TinyFixture.Directory,
            new OnnxExportOptions { UseOnnxRuntimeOperators = onnxRuntimeOperators, FusedAttention = fusedAttention, SeparateProjections = separateProjections });
        var outputs = OnnxRunner.RunOnce(model, fixture.InputIds, fixture.TokenTypeIds, fixture.AttentionMask);
        var (hidden, logits) = fixture.MaxAbsDifference(outputs[OnnxNames.LastHiddenState], outputs[OnnxNames.MlmLogits]);
        output.WriteLine($"ORT operators {onnxRuntimeOperators}, MultiHeadAttention {fusedAttention}, separate projections {separateProjections}: max |Δ| hidden {hidden:E2}, MLM logits {logits:E2}");
        Assert.True(hidden <= 1e-4, $"hidden states differ by {hidden}");
        Assert.True(logits <= 1e-4, $"MLM logits differ by {logits}");
    }
}
