using System.IO.Compression;
using GauMLNet.Cli;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using GauMLNet.TorchSharp.Checkpoints;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Checkpoints;

public class CheckpointConverterTests
{
    private static string TinyVocab()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "vocab.txt");
        File.WriteAllLines(path, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Enumerable.Range(5, 295).Select(i => $"t{i}")]);
        return path;
    }

    [SkippableFact]
    public void PyTorchBinLoadsExactlyTheSafetensorsTensorsAndReproducesTheReference()
    {
        string bin = Path.Combine(TestPaths.RequireShared(), "fixtures", "gau-alpha-tiny", "pytorch_model.bin");
        var fromPickle = TorchPickleReader.Load(bin);
        var fromSafetensors = SafeTensors.Load(Path.Combine(TestPaths.TinyModel, "model.safetensors"));
        Assert.Equal(fromSafetensors.Keys.Order(), fromPickle.Keys.Order());
        foreach (var (name, tensor) in fromSafetensors) Assert.True(tensor.eq(fromPickle[name]).all().item<bool>(), $"{name} differs");

        string outDir = Path.Combine(TestPaths.NewTempDirectory(), "converted");
        var report = CheckpointConverter.Convert(bin, TinyVocab(), Path.Combine(TestPaths.TinyModel, "config.json"), outDir);
        Assert.Equal(15, report.TensorsLoaded);
        var fixture = TinyFixture.Load();
        using var encoder = GauAlphaEncoder.Load(outDir, "cpu");
        var (hidden, logits) = fixture.MaxAbsDifference(encoder.Encode(fixture.InputIds, fixture.TokenTypeIds, fixture.AttentionMask));
        Assert.True(hidden < 1e-4 && logits < 1e-4, $"Δ {hidden}, {logits}");
    }

    [Fact]
    public void ABert4KerasNamedCheckpointLoadsIntoTheEncoderByNameAndShape()
    {
        // The tiny reference model, re-saved as bert4keras would: TF names, kernels [in, out], plus optimizer state.
        var port = SafeTensors.Load(Path.Combine(TestPaths.TinyModel, "model.safetensors"));
        var entries = new List<TensorFlowCheckpointWriter.Entry>
        {
            Variable("bert/embeddings/word_embeddings", port["gau_alpha.embeddings.word_embeddings.weight"]),
            Variable("bert/embeddings/token_type_embeddings", port["gau_alpha.embeddings.token_type_embeddings.weight"]),
            new("global_step", TensorFlowCheckpointWriter.Int64, [], BitConverter.GetBytes(1000L)),
        };
        for (int i = 0; i < 3; i++)
        {
            string tf = $"GAU_alpha/encoder/layer_{i}/gau/", pt = $"gau_alpha.encoder.layer.{i}.gau.";
            entries.Add(Variable(tf + "i_dense/kernel", port[pt + "i_dense.weight"].t()));
            entries.Add(Variable(tf + "i_dense/kernel/Adam", zeros_like(port[pt + "i_dense.weight"].t())));
            entries.Add(Variable(tf + "o_dense/kernel", port[pt + "o_dense.weight"].t()));
            entries.Add(Variable(tf + "q_scaleoffset/gamma", port[pt + "q_scaleoffset.weight"]));
            entries.Add(Variable(tf + "k_scaleoffset/gamma", port[pt + "k_scaleoffset.weight"]));
        }
        string dir = TestPaths.NewTempDirectory();
        TensorFlowCheckpointWriter.Write(Path.Combine(dir, "bert_model.ckpt"), entries);

        string outDir = Path.Combine(TestPaths.NewTempDirectory(), "converted");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = GauCli.Run(["convert", "--from", dir, "--vocab", TinyVocab(), "--output", outDir], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        Assert.Contains("3-layer GAU-α (d 64, e 128, s 32, vocab 300)", stdout.ToString()); // inferred from the shapes
        Assert.Contains("global_step", stdout.ToString()); // listed as ignored
        Assert.Contains("i_dense/kernel/Adam", stdout.ToString());

        // bert4keras ties the MLM head, so compare the hidden states (the fixture's decoder is separate).
        var fixture = TinyFixture.Load();
        using var encoder = GauAlphaEncoder.Load(outDir, "cpu");
        var encoded = encoder.Encode(fixture.InputIds, fixture.TokenTypeIds, fixture.AttentionMask);
        double max = encoded.Zip(fixture.ExpectedHidden).Max(p => p.First.LastHiddenState.Zip(p.Second).Max(t => t.First.Zip(t.Second).Max(v => Math.Abs(v.First - v.Second))));
        Assert.True(max < 1e-4, $"hidden states differ by {max}");
    }

    [Fact]
    public void APickleWithAForbiddenGlobalIsRefusedWithoutRunningIt()
    {
        string marker = Path.Combine(TestPaths.NewTempDirectory(), "pwned");
        // A classic attack: os.system("touch marker") through GLOBAL + REDUCE.
        byte[] command = System.Text.Encoding.UTF8.GetBytes($"touch {marker}");
        byte[] pickle = [0x80, 0x02, (byte)'c', .. "os\nsystem\n"u8, (byte)'X', .. BitConverter.GetBytes(command.Length), .. command, 0x85, (byte)'R', (byte)'.'];
        string path = Path.Combine(TestPaths.NewTempDirectory(), "evil.bin");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var entry = zip.CreateEntry("archive/data.pkl").Open())
            entry.Write(pickle);

        var ex = Assert.Throws<InvalidDataException>(() => TorchPickleReader.Load(path));
        Assert.Contains("os.system", ex.Message);
        Assert.Contains("allow-list", ex.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void ATruncatedBinIsAClearError()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "cut.bin");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var entry = zip.CreateEntry("archive/data.pkl").Open())
            entry.Write(new byte[1000]);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..(int)(new FileInfo(path).Length / 2)]);
        var ex = Assert.Throws<InvalidDataException>(() => TorchPickleReader.Load(path));
        Assert.Contains("cut.bin", ex.Message);
    }

    private static TensorFlowCheckpointWriter.Entry Variable(string name, Tensor t) =>
        new(name, TensorFlowCheckpointWriter.Float, t.shape, t.contiguous().bytes.ToArray());
}
