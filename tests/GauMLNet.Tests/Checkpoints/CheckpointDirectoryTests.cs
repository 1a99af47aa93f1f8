using GauMLNet.Configuration;
using GauMLNet.Storage;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using GauMLNet.TorchSharp.Checkpoints;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Checkpoints;

public class CheckpointDirectoryTests
{
    [Fact]
    public void SavedCheckpointReloadsToIdenticalOutputs()
    {
        var fixture = TinyFixture.Load();
        using var original = GauAlphaEncoder.Load(TestPaths.TinyModel, "cpu");
        string dir = TestPaths.NewTempDirectory();
        original.Save(dir);
        using var reloaded = GauAlphaEncoder.Load(dir, "cpu");

        Assert.False(reloaded.Model.Head.IsTied); // the fixture has its own decoder matrix, and keeps it
        var a = original.Encode(fixture.InputIds, fixture.TokenTypeIds, fixture.AttentionMask);
        var b = reloaded.Encode(fixture.InputIds, fixture.TokenTypeIds, fixture.AttentionMask);
        Assert.Equal(a[2].LastHiddenState[5], b[2].LastHiddenState[5]);
        Assert.Equal(a[0].MlmLogitsFirstToken, b[0].MlmLogitsFirstToken);
    }

    [Fact]
    public void TiedModelSavesNoDecoderAndItsLogitsUseTheTokenEmbedding()
    {
        using var encoder = GauAlphaEncoder.Create(GauAlphaConfig.Tiny with { VocabSize = 100 }, "cpu", seed: 5);
        string dir = TestPaths.NewTempDirectory();
        encoder.Save(dir);
        Assert.DoesNotContain(SafeTensorsFile.ReadHeader(CheckpointFiles.WeightsPath(dir)), e => e.Name == CheckpointFiles.DecoderWeightName);

        using var scope = NewDisposeScope();
        var hidden = randn(2, 128);
        var expected = hidden.matmul(encoder.Model.Backbone.Embeddings.WordEmbeddings.weight!.t());
        Assert.True(encoder.Model.MlmLogits(hidden).allclose(expected));
    }

    [Fact]
    public void MismatchListsMissingUnexpectedAndMisShapedTensors()
    {
        string dir = TestPaths.NewTempDirectory();
        var tensors = SafeTensors.Load(Path.Combine(TestPaths.TinyModel, "model.safetensors"));
        tensors.Remove("gau_alpha.encoder.layer.1.gau.o_dense.weight");
        tensors["gau_alpha.encoder.layer.0.gau.q_scaleoffset.weight"] = zeros(31);
        tensors["gau_alpha.encoder.layer.0.gau.extra.weight"] = zeros(2);
        SafeTensors.Save(CheckpointFiles.WeightsPath(dir), tensors);
        File.Copy(Path.Combine(TestPaths.TinyModel, "config.json"), CheckpointFiles.ConfigPath(dir));

        var ex = Assert.Throws<CheckpointMismatchException>(() => GauAlphaEncoder.Load(dir, "cpu"));
        Assert.Equal(["gau_alpha.encoder.layer.1.gau.o_dense.weight"], ex.Missing);
        Assert.Equal(["gau_alpha.encoder.layer.0.gau.extra.weight"], ex.Unexpected);
        Assert.Contains("q_scaleoffset.weight is [31] in the file, [32] in the model", Assert.Single(ex.MisShaped));
    }
}
