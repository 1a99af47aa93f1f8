using GauMLNet.Storage;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp.Checkpoints;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Checkpoints;

public class SafeTensorsTests
{
    [Theory]
    [InlineData(ScalarType.Float32, 0.0)]
    [InlineData(ScalarType.Float16, 1e-3)]
    [InlineData(ScalarType.BFloat16, 1e-2)]
    public void RoundTripsEachFloatingDType(ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        string path = Path.Combine(TestPaths.NewTempDirectory(), "t.safetensors");
        var a = randn(3, 5);
        var b = randn(7);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["layer.a"] = a, ["b"] = b }, dtype, new Dictionary<string, string> { ["format"] = "pt" });

        var header = SafeTensorsFile.ReadHeader(path);
        Assert.All(header, e => Assert.Equal(TensorDType.Code(dtype), e.DType));
        var loaded = SafeTensors.Load(path, out var metadata);
        Assert.Equal("pt", metadata["format"]);
        Assert.Equal(dtype, loaded["layer.a"].dtype);
        Assert.Equal([3L, 5], loaded["layer.a"].shape);
        double diff = (loaded["layer.a"].to(ScalarType.Float32) - a).abs().max().item<float>() / a.abs().max().item<float>();
        Assert.True(diff <= tolerance, $"relative error {diff} above {tolerance}");
        Assert.True(loaded["b"].to(ScalarType.Float32).allclose(b, rtol: tolerance, atol: tolerance * 4));
    }

    [Fact]
    public void ReadsTheReferenceFixture()
    {
        var header = SafeTensorsFile.ReadHeader(Path.Combine(TestPaths.TinyModel, "model.safetensors"));
        var iDense = header.Single(e => e.Name == "gau_alpha.encoder.layer.0.gau.i_dense.weight");
        Assert.Equal("F32", iDense.DType);
        Assert.Equal([288L, 64], iDense.Shape); // 2e + s = 2·128 + 32
    }

    [Fact]
    public void TruncatedFileNamesTheTensorAndSaysTruncated()
    {
        string path = CopyOfFixture();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains("truncated", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void CutInsideTheHeaderIsAClearError()
    {
        string path = CopyOfFixture();
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..50]);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains("header length", ex.Message);
    }

    [Fact]
    public void CorruptHeaderJsonIsAClearError()
    {
        string path = CopyOfFixture();
        var bytes = File.ReadAllBytes(path);
        bytes[8] = (byte)'#';
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains("not a JSON object", ex.Message);
    }

    [Fact]
    public void UnknownDTypeIsNamed()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "odd.safetensors");
        WriteRaw(path, "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2]);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains("tensor 'w' has unsupported dtype 'F8_E4M3'", ex.Message);
    }

    [Fact]
    public void SizeThatDisagreesWithTheShapeIsNamed()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "odd.safetensors");
        WriteRaw(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains("tensor 'w' holds 8 bytes but F32[3] needs 12", ex.Message);
    }

    [Fact]
    public void AFailedSaveLeavesThePreviousFileIntact()
    {
        using var scope = NewDisposeScope();
        string path = Path.Combine(TestPaths.NewTempDirectory(), "w.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = ones(4) });
        var before = File.ReadAllBytes(path);

        IEnumerable<KeyValuePair<string, Tensor>> Failing()
        {
            yield return KeyValuePair.Create("w", zeros(4));
            throw new IOException("disk full (simulated)");
        }
        Assert.Throws<IOException>(() => SafeTensors.Save(path, Failing()));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary left behind
    }

    private static string CopyOfFixture()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "model.safetensors");
        File.Copy(Path.Combine(TestPaths.TinyModel, "model.safetensors"), path);
        return path;
    }

    private static void WriteRaw(string path, string header, byte[] data)
    {
        var h = System.Text.Encoding.UTF8.GetBytes(header);
        using var f = File.Create(path);
        f.Write(BitConverter.GetBytes((ulong)h.Length));
        f.Write(h);
        f.Write(data);
    }
}
