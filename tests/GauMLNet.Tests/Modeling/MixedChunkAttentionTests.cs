using System.Diagnostics;
using GauMLNet.Configuration;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp.Checkpoints;
using GauMLNet.TorchSharp.Modeling;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Modeling;

/// <summary>FLASH's mixed-chunk attention: full attention when one chunk holds everything, exact under padding, true gradients, and the PyTorch port's numbers.</summary>
public class MixedChunkAttentionTests(ITestOutputHelper output)
{
    private static GauAlphaConfig Config(string normalization = "softmax_plus", int chunk = 16) => new()
    {
        HiddenSize = 32,
        EmbeddingSize = 32,
        IntermediateSize = 48,
        AttentionKeySize = 16,
        NumHiddenLayers = 2,
        Normalization = normalization,
        Attention = "mixed_chunk",
        ChunkSize = chunk,
        HiddenDropoutProb = 0,
        AttentionProbsDropoutProb = 0,
        Initializer = "lecun_normal",
    };

    private static Tensor Lengths(long n, params long[] lengths) => tensor(lengths).unsqueeze(1).gt(arange(n).unsqueeze(0));

    // Scales and offsets away from 1 and 0, so q, k, q_lin and k_lin differ and a mix-up shows.
    private static void Randomize(nn.Module module, GauAlphaConfig config, int seed)
    {
        ParameterInitialization.Apply(module, config, new Generator((ulong)seed));
        using var _ = no_grad();
        var generator = new Generator((ulong)seed + 1000); // one stream: every scale gets its own values
        foreach (var (name, p) in module.named_parameters())
            if (name.Contains("scaleoffset")) p.copy_(rand(p.shape, generator: generator) + 0.5);
    }

    [Theory]
    [InlineData("softmax_plus")]
    [InlineData("softmax")]
    [InlineData("squared_relu")]
    public void OneChunkWithoutTheLinearPartIsFullAttention(string normalization)
    {
        using var scope = NewDisposeScope();
        var mixedConfig = Config(normalization, chunk: 64);
        using var mixed = new GatedAttentionUnit(mixedConfig) { LeavesOutLinearPart = true };
        Randomize(mixed, mixedConfig, 1);
        using var full = new GatedAttentionUnit(mixedConfig with { Attention = null, ChunkSize = null });
        var weights = mixed.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
            foreach (var (name, p) in full.named_parameters()) p.copy_(weights[name]);
        Assert.Equal(full.named_parameters().Count() + 2, weights.Count); // q_lin and k_lin scales are mixed-chunk's own
        string[] scales = ["q_scaleoffset.weight", "k_scaleoffset.weight", "q_lin_scaleoffset.weight", "k_lin_scaleoffset.weight"];
        Assert.Equal(4, scales.Select(n => string.Join(",", weights[n].data<float>().ToArray())).Distinct().Count()); // a mix-up would show
        mixed.eval();
        full.eval();

        var x = randn(3, 40, 32);
        var mask = Lengths(40, 40, 23, 1);
        var rope = RotaryPositionEmbedding.Create(40, 16, CPU, ScalarType.Float32);
        using var _ = no_grad();
        double diff = ((mixed.call(x, mask, rope) - full.call(x, mask, rope)) * mask.unsqueeze(-1)).abs().max().item<float>();
        output.WriteLine($"{normalization}: one chunk of 64 vs full attention, max |Δ| {diff:E2}");
        Assert.True(diff <= 1e-6, $"one chunk without the linear part differs from full attention by {diff}");
        mixed.LeavesOutLinearPart = false;
        Assert.True(((mixed.call(x, mask, rope) - full.call(x, mask, rope)) * mask.unsqueeze(-1)).abs().max().item<float>() > 1e-3,
            "the linear part changed nothing: it is not wired in");
    }

    [Theory]
    [InlineData("softmax_plus")]
    [InlineData("squared_relu")]
    public void EachRowOfAMixedLengthBatchGetsWhatItGetsAlone(string normalization)
    {
        using var scope = NewDisposeScope();
        var config = Config(normalization, chunk: 16);
        using var model = new GauAlphaModel(config);
        Randomize(model, config, 2);
        model.eval();
        long[] lengths = [70, 33, 16, 1]; // several chunks, a partial chunk, exactly one chunk, and chunks of padding only
        long n = lengths[0];
        var ids = randint(1, config.VocabSize, [lengths.Length, n]);
        var mask = Lengths(n, lengths);
        using var _ = no_grad();
        var batch = model.call(ids * mask, zeros_like(ids), mask.to(ScalarType.Int64));
        Assert.True(batch.isfinite().all().item<bool>(), "padding produced non-finite values, which would reach real tokens in the next layer");
        for (int row = 0; row < lengths.Length; row++)
        {
            long l = lengths[row];
            var alone = model.call(ids[row, TensorIndex.Slice(0, l)].unsqueeze(0), zeros(1, l, dtype: ScalarType.Int64), ones(1, l, dtype: ScalarType.Int64));
            double diff = (batch[row, TensorIndex.Slice(0, l)] - alone[0]).abs().max().item<float>();
            Assert.True(diff <= 1e-5, $"row {row} (length {l}) differs from itself alone by {diff}");
        }
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        var config = Config("softmax_plus", chunk: 4);
        using var gau = new GatedAttentionUnit(config);
        Randomize(gau, config, 3);
        gau.to(ScalarType.Float64).eval();
        var x = randn(2, 11, 32, dtype: ScalarType.Float64).requires_grad_();
        var mask = Lengths(11, 11, 6);
        var rope = RotaryPositionEmbedding.Create(11, 16, CPU, ScalarType.Float64);
        var probe = randn(2, 11, 32, dtype: ScalarType.Float64) * mask.unsqueeze(-1);
        double Loss() => (gau.call(x, mask, rope) * probe).sum().item<double>();

        (gau.call(x, mask, rope) * probe).sum().backward();
        var analytic = x.grad!.clone();
        var linearScale = gau.named_parameters().Single(p => p.name == "q_lin_scaleoffset.weight").parameter;
        var linearAnalytic = linearScale.grad!.clone();
        const double h = 1e-6;
        using var _ = no_grad();
        var checks = new List<(Tensor Value, long[] Index, double Analytic)>();
        foreach (long[] index in new[] { new long[] { 0, 0, 0 }, [0, 5, 7], [0, 10, 31], [1, 3, 2], [1, 5, 20] })
            checks.Add((x, index, analytic[index[0], index[1], index[2]].item<double>()));
        foreach (long i in new long[] { 0, 9, 15 })
            checks.Add((linearScale, [i], linearAnalytic[i].item<double>()));
        foreach (var (value, index, expected) in checks)
        {
            var at = value[index.Select(i => TensorIndex.Single(i)).ToArray()];
            double original = at.item<double>();
            at.fill_(original + h);
            double plus = Loss();
            at.fill_(original - h);
            double minus = Loss();
            at.fill_(original);
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(numeric - expected) <= 1e-6 * Math.Max(1, Math.Abs(numeric)),
                $"d loss / d {(value.Equals(x) ? "x" : "γ_ql")}[{string.Join(", ", index)}]: autograd {expected}, finite difference {numeric}");
        }
    }

    [SkippableTheory]
    [InlineData(1000)]
    [InlineData(4097)]
    public void AgreesWithThePyTorchPortOnRandomWeights(int n)
    {
        string python = RequirePythonWithTorch();
        string dir = TestPaths.NewTempDirectory();
        using var scope = NewDisposeScope();
        var config = Config("softmax_plus", chunk: GauAlphaConfig.DefaultChunkSize) with { ChunkSize = null, VocabSize = 500 };
        using var model = new GauAlphaModel(config);
        Randomize(model, config, 4);
        model.eval();
        long[] lengths = [n, n / 3 + 5]; // the second row ends inside a chunk and leaves whole chunks of padding
        var ids = randint(1, config.VocabSize, [2, n]);
        var mask = Lengths(n, lengths).to(ScalarType.Int64);
        ids *= mask;
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJson());
        SafeTensors.Save(Path.Combine(dir, "backbone.safetensors"), model.state_dict());
        SafeTensors.Save(Path.Combine(dir, "input.safetensors"), new Dictionary<string, Tensor> { ["input_ids"] = ids, ["attention_mask"] = mask });

        var run = Stopwatch.StartNew();
        RunPython(python, "backbone_states.py", "--config", Path.Combine(dir, "config.json"), "--weights", Path.Combine(dir, "backbone.safetensors"),
            "--input", Path.Combine(dir, "input.safetensors"), "--output", Path.Combine(dir, "reference.safetensors"));
        var reference = SafeTensors.Load(Path.Combine(dir, "reference.safetensors"))["last_hidden_state"];
        using var _ = no_grad();
        var ours = model.call(ids, zeros_like(ids), mask);
        double diff = ((ours - reference) * mask.unsqueeze(-1)).abs().max().item<float>();
        output.WriteLine($"n {n}, chunk {config.EffectiveChunkSize}, lengths {string.Join(", ", lengths)}: max |Δ| vs the PyTorch port (fp64) {diff:E2} ({run.Elapsed.TotalSeconds:F1} s)");
        Assert.True(diff <= 1e-5, $"GauMLNet and the PyTorch port differ by {diff} at n {n}");
    }

    private static string RequirePythonWithTorch()
    {
        string? python = new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.FirstOrDefault(File.Exists);
        Skip.If(python is null, "python3 is not installed; the PyTorch port runs on it");
        var probe = Process.Start(new ProcessStartInfo(python!, ["-c", "import torch, numpy"]) { RedirectStandardError = true })!;
        probe.WaitForExit();
        Skip.If(probe.ExitCode != 0, "python3 cannot import torch and numpy (apt-get install python3-torch python3-numpy); the PyTorch port needs them");
        return python!;
    }

    private static void RunPython(string python, string script, params string[] args)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(TestPaths.RepositoryRoot, "interop", "pytorch", script));
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{script} failed ({process.ExitCode}): {stderr}");
    }
}
