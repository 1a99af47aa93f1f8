using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp.Checkpoints;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Checkpoints;

public class TensorFlowCheckpointTests
{
    private static string SharedCheckpoint(string name) => Path.Combine(TestPaths.RequireShared(), "fixtures", "tf-checkpoints", name);

    private static string CopyToTemp(string folder)
    {
        string dir = TestPaths.NewTempDirectory();
        foreach (string file in Directory.GetFiles(folder)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        foreach (string file in Directory.GetFiles(dir)) File.SetAttributes(file, FileAttributes.Normal);
        return dir;
    }

    [SkippableFact]
    public void ReadsTheSmallRealCheckpointWithEveryCrcChecked()
    {
        var checkpoint = TensorFlowCheckpoint.Open(SharedCheckpoint("model"));
        var tensors = checkpoint.ReadAll(); // throws on any crc32c mismatch
        Assert.Equal(["Bias1", "Bias2", "Weights1", "Weights2"], tensors.Keys.Order());
        Assert.Equal([2L, 2], tensors["Weights1"].shape);
        Assert.Equal([2L], tensors["Bias1"].shape);
        Assert.Equal([2L, 3], tensors["Weights2"].shape);
        Assert.Equal([3L], tensors["Bias2"].shape);
        Assert.All(tensors.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));
    }

    [SkippableFact]
    public void ReadsTheTrainedNetworkWithItsAdamSlotsAndAChainOfConsistentShapes()
    {
        var checkpoint = TensorFlowCheckpoint.Open(SharedCheckpoint("fc2"));
        var tensors = checkpoint.ReadAll();
        string[] layers = ["h1", "h2", "output"];
        foreach (string layer in layers)
            foreach (string v in new[] { "w", "b" })
                foreach (string slot in new[] { "", "/Adam", "/Adam_1" })
                    Assert.True(tensors.ContainsKey($"{layer}/{v}{slot}"), $"{layer}/{v}{slot} missing");
        for (int i = 0; i < layers.Length; i++)
        {
            var w = tensors[$"{layers[i]}/w"];
            Assert.Equal(2, w.dim());
            Assert.Equal([w.shape[1]], tensors[$"{layers[i]}/b"].shape); // b is [out]
            Assert.Equal(w.shape, tensors[$"{layers[i]}/w/Adam"].shape);
            if (i > 0) Assert.Equal(tensors[$"{layers[i - 1]}/w"].shape[1], w.shape[0]); // h1 → h2 → output
        }
        var step = tensors["global_step"];
        Assert.Equal(0, step.dim());
        Assert.False(step.is_floating_point()); // an integer scalar (this file stores it as DT_INT32)
        Assert.InRange(tensors["beta1_power"].item<float>(), 0f, 1f);
    }

    [SkippableFact]
    public void CorruptDataFailsItsCrcCheckNamingTheTensor()
    {
        string dir = CopyToTemp(SharedCheckpoint("fc2"));
        string data = Directory.GetFiles(dir, "*.data-*").Single();
        var bytes = File.ReadAllBytes(data);
        bytes[2000] ^= 0xff; // inside h1/w
        File.WriteAllBytes(data, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => TensorFlowCheckpoint.Open(dir).ReadAll());
        Assert.Contains("tensor 'h1/w' fails its crc32c check", ex.Message);
    }

    [SkippableFact]
    public void TruncatedDataAndIndexAreClearErrors()
    {
        string dir = CopyToTemp(SharedCheckpoint("fc2"));
        string data = Directory.GetFiles(dir, "*.data-*").Single();
        File.WriteAllBytes(data, File.ReadAllBytes(data)[..500_000]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => TensorFlowCheckpoint.Open(dir).ReadAll()).Message);

        string index = Directory.GetFiles(dir, "*.index").Single();
        File.WriteAllBytes(index, File.ReadAllBytes(index)[..300]);
        Assert.Contains("not a valid checkpoint index", Assert.Throws<InvalidDataException>(() => TensorFlowCheckpoint.Open(dir)).Message);
    }

    [SkippableFact]
    public void AFlippedIndexByteFailsTheBlockChecksum()
    {
        string dir = CopyToTemp(SharedCheckpoint("model"));
        string index = Directory.GetFiles(dir, "*.index").Single();
        var bytes = File.ReadAllBytes(index);
        bytes[20] ^= 0x01;
        File.WriteAllBytes(index, bytes);
        Assert.Contains("crc32c mismatch", Assert.Throws<InvalidDataException>(() => TensorFlowCheckpoint.Open(dir)).Message);
    }

    [Fact]
    public void ReadsMultiBlockIndexesAndSeveralShards()
    {
        string prefix = Path.Combine(TestPaths.NewTempDirectory(), "multi.ckpt");
        var entries = Enumerable.Range(0, 7).Select(i => new TensorFlowCheckpointWriter.Entry(
            $"layer_{i}/kernel", TensorFlowCheckpointWriter.Float, [2, 3], TensorFlowCheckpointWriter.Floats(Enumerable.Range(0, 6).Select(j => i * 10f + j)))).ToList();
        TensorFlowCheckpointWriter.Write(prefix, entries, shards: 3, blockPerEntry: true);

        var checkpoint = TensorFlowCheckpoint.Open(prefix);
        Assert.Equal(3, checkpoint.Shards);
        var tensors = checkpoint.ReadAll();
        Assert.Equal(7, tensors.Count);
        Assert.Equal(new[] { 50f, 51, 52, 53, 54, 55 }, tensors["layer_5/kernel"].data<float>().ToArray());
    }

    [Fact]
    public void UnknownDTypeIsNamed()
    {
        string prefix = Path.Combine(TestPaths.NewTempDirectory(), "odd.ckpt");
        TensorFlowCheckpointWriter.Write(prefix, [new("names", TensorFlowCheckpointWriter.String, [1], [1, 2, 3])]);
        var ex = Assert.Throws<InvalidDataException>(() => TensorFlowCheckpoint.Open(prefix));
        Assert.Contains("tensor 'names' has unsupported dtype 7", ex.Message);
    }

    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("123456789", 0xE3069283u)] // the CRC-32C check value
    [InlineData("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void Crc32CMatchesItsPublishedCheckValues(string text, uint expected)
    {
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(text);
        Assert.Equal(expected, GauMLNet.TorchSharp.Checkpoints.Crc32C.Compute(bytes));
        // Incremental over any split, as the readers feed it.
        for (int split = 0; split <= bytes.Length; split++)
            Assert.Equal(expected, GauMLNet.TorchSharp.Checkpoints.Crc32C.Compute(bytes.AsSpan(split), GauMLNet.TorchSharp.Checkpoints.Crc32C.Compute(bytes.AsSpan(0, split))));
    }
}
