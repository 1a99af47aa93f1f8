using GauMLNet.Configuration;
using GauMLNet.Onnx.Tests.Support;

namespace GauMLNet.Onnx.Tests;

/// <summary>The graph's interface: symbolic axes, every head's outputs, padding and RoPE at any length.</summary>
public sealed class GraphShapeTests(ITestOutputHelper output)
{
    [Fact]
    public void BatchAndSequenceAxesAreSymbolicAndRunFromLength1To1024()
    {
        byte[] model = GauOnnxExporter.Export(TinyFixture.Directory);
        using var runner = new OnnxRunner(model);
        foreach (var input in runner.Session.InputMetadata.Values)
            Assert.Equal([-1, -1], input.Dimensions);
        Assert.Equal([OnnxNames.BatchAxis, OnnxNames.SequenceAxis], runner.Session.InputMetadata[OnnxNames.InputIds].SymbolicDimensions);
        var config = CheckpointFilesConfig();
        foreach (int length in new[] { 1, 2, 3, 31, 128, 511, 512, 513, 1000, 1024 })
            foreach (int rows in new[] { 1, 3 })
            {
                var (ids, types, mask) = RandomGau.Inputs(config, length, length, Enumerable.Range(0, rows).Select(r => Math.Max(1, length - r)).ToArray());
                var outputs = runner.Run(ids, types, mask);
                Assert.Equal([rows, length, config.HiddenSize], outputs[OnnxNames.LastHiddenState].Shape);
                Assert.Equal([rows, length, config.VocabSize], outputs[OnnxNames.MlmLogits].Shape);
                Assert.All(outputs.Values, o => Assert.True(o.Values.All(float.IsFinite), $"non-finite at length {length}"));
            }
    }

    private static GauAlphaConfig CheckpointFilesConfig() => Storage.CheckpointFiles.LoadConfig(TinyFixture.Directory);

    public static TheoryData<string, bool> NormalizationsAndOperators() => new()
    {
        { "softmax_plus", true }, { "softmax_plus", false }, { "softmax", true }, { "softmax", false }, { "squared_relu", true }, { "squared_relu", false },
    };

    [Theory]
    [MemberData(nameof(NormalizationsAndOperators))]
    public void AFullyPaddedRowGivesFiniteOutputsAndLeavesTheOtherRowsAlone(string normalization, bool onnxRuntimeOperators)
    {
        var config = RandomGau.TinyConfig(normalization);
        var weights = RandomGau.Weights(config, seed: 2, headOutputs: 4, decoder: true);
        var options = new OnnxExportOptions { UseOnnxRuntimeOperators = onnxRuntimeOperators };
        var (ids, types, mask) = RandomGau.Inputs(config, seed: 9, width: 8, 8, 0, 5);
        foreach (var head in new[] { GauOnnxHead.MaskedLanguageModel(), GauOnnxHead.SequenceClassification(4, SequencePooling.Mean), GauOnnxHead.Embedding(SequencePooling.First) })
        {
            var outputs = OnnxRunner.RunOnce(GauOnnxExporter.Export(config, weights, head, options), ids, types, mask);
            foreach (var (name, tensor) in outputs)
                Assert.True(tensor.Values.All(float.IsFinite), $"{head.Kind}/{name} has a non-finite value");
        }
        // The padded row changes nothing for the others: run them without it.
        var mlm = GauOnnxExporter.Export(config, weights, GauOnnxHead.MaskedLanguageModel(), options);
        var together = OnnxRunner.RunOnce(mlm, ids, types, mask)[OnnxNames.LastHiddenState];
        var alone = OnnxRunner.RunOnce(mlm, [ids[0], ids[2]], [types[0], types[2]], [mask[0], mask[2]])[OnnxNames.LastHiddenState];
        int rowWidth = 8 * config.HiddenSize;
        Assert.Equal(alone.Values.AsSpan(0, rowWidth).ToArray(), together.Values.AsSpan(0, rowWidth).ToArray());
        for (int t = 0; t < 5 * config.HiddenSize; t++)
            Assert.Equal(alone.Values[rowWidth + t], together.Values[2 * rowWidth + t], 6);
    }

    [Fact]
    public void EveryHeadNamesItsOutputsAndShapes()
    {
        var config = RandomGau.TinyConfig();
        var weights = RandomGau.Weights(config, seed: 1, headOutputs: 5, decoder: true);
        var regression = RandomGau.Weights(config, seed: 1, headOutputs: 1);
        var (ids, types, mask) = RandomGau.Inputs(config, seed: 4, width: 6, 6, 3);
        int d = config.HiddenSize, v = config.VocabSize;
        var cases = new (GauOnnxHead Head, Dictionary<string, Storage.RawTensor> Weights, string Raw, (string Name, long[] Shape, string[] Symbols)[] Outputs)[]
        {
            (GauOnnxHead.SequenceClassification(5), weights, OnnxNames.Logits,
                [(OnnxNames.Logits, [2, 5], ["batch", ""]), (OnnxNames.Probabilities, [2, 5], ["batch", ""])]),
            (GauOnnxHead.Regression(), regression, OnnxNames.Score, [(OnnxNames.Score, [2, 1], ["batch", ""])]),
            (GauOnnxHead.Embedding(SequencePooling.Mean), weights, OnnxNames.Embedding, [(OnnxNames.Embedding, [2, d], ["batch", ""])]),
            (GauOnnxHead.MaskedLanguageModel(), weights, OnnxNames.MlmLogits,
                [(OnnxNames.LastHiddenState, [2, 6, d], ["batch", "sequence", ""]), (OnnxNames.MlmLogits, [2, 6, v], ["batch", "sequence", ""])]),
            (GauOnnxHead.TokenClassification(5), weights, OnnxNames.Logits, [(OnnxNames.Logits, [2, 6, 5], ["batch", "sequence", ""])]),
        };
        foreach (var (head, tensors, raw, expected) in cases)
        {
            byte[] model = GauOnnxExporter.Export(config, tensors, head);
            using var runner = new OnnxRunner(model);
            Assert.Equal(expected.Select(e => e.Name), runner.Session.OutputNames);
            Assert.Equal(expected.Select(e => e.Name), head.OutputNames);
            Assert.Equal(raw, head.RawOutput);
            Assert.Equal(raw, runner.Session.ModelMetadata.CustomMetadataMap[OnnxNames.RawOutputKey]);
            var outputs = runner.Run(ids, types, mask);
            foreach (var (name, shape, symbols) in expected)
            {
                Assert.Equal(shape, outputs[name].Shape);
                Assert.Equal(symbols, runner.Session.OutputMetadata[name].SymbolicDimensions);
            }
            output.WriteLine($"{head.Kind}: {string.Join(", ", expected.Select(e => $"{e.Name} [{string.Join(", ", e.Symbols.Zip(e.Shape, (s, n) => s.Length > 0 ? s : n.ToString()))}]"))}");
        }
    }

    [Fact]
    public void TheTiedDecoderUsesTheWordEmbeddings()
    {
        var config = RandomGau.TinyConfig();
        var weights = RandomGau.Weights(config, seed: 6);
        var (ids, types, mask) = RandomGau.Inputs(config, seed: 4, width: 4, 4, 2);
        var outputs = OnnxRunner.RunOnce(GauOnnxExporter.Export(config, weights, GauOnnxHead.MaskedLanguageModel()), ids, types, mask);
        var word = weights["gau_alpha.embeddings.word_embeddings.weight"].ToFloat32();
        var hidden = outputs[OnnxNames.LastHiddenState].Values;
        var logits = outputs[OnnxNames.MlmLogits].Values;
        int d = config.HiddenSize, v = config.VocabSize;
        for (int token = 0; token < 8; token++)
            for (int w = 0; w < v; w++)
            {
                double expected = 0;
                for (int j = 0; j < d; j++) expected += hidden[token * d + j] * word[w * d + j];
                Assert.True(Math.Abs(logits[token * v + w] - expected) < 1e-4);
            }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RopeIsComputedInTheGraphForAnyLengthAndStaysExactPastTheConfigsMaxPositions(bool onnxRuntimeOperators)
    {
        // No position table: a length far past the config's max_position_embeddings (512) runs, and matches the
        // reference at the far positions too, where RoPE angles in fp32 would already be off by ~1e-4 rad.
        var config = RandomGau.TinyConfig("softmax", layers: 1);
        var weights = RandomGau.Weights(config, seed: 8);
        var (ids, types, mask) = RandomGau.Inputs(config, seed: 1, width: 1500, 1500);
        var options = new OnnxExportOptions { UseOnnxRuntimeOperators = onnxRuntimeOperators };
        var hidden = OnnxRunner.RunOnce(GauOnnxExporter.Export(config, weights, GauOnnxHead.MaskedLanguageModel(), options), ids, types, mask)[OnnxNames.LastHiddenState];
        double diff = VariantParityTests.MaxAbsOverRealTokens(hidden, new ReferenceGau(config, weights).Hidden(ids, types, mask), mask);
        output.WriteLine($"length 1500: max |Δ| {diff:E2}");
        Assert.True(diff <= 1e-4, $"max |Δ| {diff}");
    }

    [Fact]
    public void ACheckpointThatDoesNotFitItsConfigFailsNamingTheTensor()
    {
        var config = RandomGau.TinyConfig();
        var weights = RandomGau.Weights(config, seed: 1);
        weights.Remove("gau_alpha.encoder.layer.1.gau.o_dense.weight");
        var missing = Assert.Throws<InvalidDataException>(() => GauOnnxExporter.Export(config, weights, GauOnnxHead.Embedding()));
        Assert.Contains("gau_alpha.encoder.layer.1.gau.o_dense.weight", missing.Message);
        var wrong = RandomGau.Weights(config with { AttentionKeySize = 8 }, seed: 1);
        var shape = Assert.Throws<InvalidDataException>(() => GauOnnxExporter.Export(config, wrong, GauOnnxHead.Embedding()));
        Assert.Contains("i_dense.weight", shape.Message);
    }

    [Fact]
    public void TheGraphImportsOpset17AndOrtOperatorsOnlyWhenAsked()
    {
        var config = RandomGau.TinyConfig();
        var weights = RandomGau.Weights(config, seed: 1);
        var ort = Protos.ModelProto.Parser.ParseFrom(GauOnnxExporter.Export(config, weights, GauOnnxHead.Embedding()));
        var portable = Protos.ModelProto.Parser.ParseFrom(GauOnnxExporter.Export(config, weights, GauOnnxHead.Embedding(), new OnnxExportOptions { UseOnnxRuntimeOperators = false }));
        Assert.Contains(ort.OpsetImport, o => o.Domain == "" && o.Version == 17);
        Assert.Contains(ort.Graph.Node, n => n.OpType == "SkipSimplifiedLayerNormalization" && n.Domain == "com.microsoft");
        Assert.Equal([""], portable.OpsetImport.Select(o => o.Domain));
        Assert.All(portable.Graph.Node, n => Assert.Equal("", n.Domain));
        Assert.DoesNotContain(portable.Graph.Node, n => n.OpType == "SimplifiedLayerNormalization");
        // Weights are initializers, pre-transposed for MatMul: i_dense [d, 2e+s] (or its u, v, z parts), o_dense [e, d].
        var split = Protos.ModelProto.Parser.ParseFrom(GauOnnxExporter.Export(config, weights, GauOnnxHead.Embedding(), new OnnxExportOptions { SeparateProjections = false }));
        var inputWeight = split.Graph.Initializer.Single(t => t.Name == "gau_alpha.encoder.layer.0.gau.i_dense.weight_t");
        Assert.Equal([config.HiddenSize, 2 * config.IntermediateSize + config.AttentionKeySize], inputWeight.Dims);
        Assert.Equal([config.HiddenSize, config.AttentionKeySize], ort.Graph.Initializer.Single(t => t.Name == "gau_alpha.encoder.layer.0.gau.i_dense.weight_t_z").Dims);
        Assert.Equal([config.IntermediateSize, config.HiddenSize], ort.Graph.Initializer.Single(t => t.Name == "gau_alpha.encoder.layer.0.gau.o_dense.weight_t").Dims);
        var fused = Protos.ModelProto.Parser.ParseFrom(GauOnnxExporter.Export(config, weights, GauOnnxHead.Embedding(), new OnnxExportOptions { FusedAttention = true }));
        Assert.Contains(fused.Graph.Node, n => n.OpType == "MultiHeadAttention" && n.Domain == "com.microsoft");
    }
}
