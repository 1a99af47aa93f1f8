using System.Text.Json.Nodes;
using GauMLNet.Configuration;
using GauMLNet.Tests.Support;

namespace GauMLNet.Tests.Modeling;

public class GauAlphaConfigTests
{
    [Fact]
    public void DefaultsAreTheReleasedBaseModel()
    {
        var c = new GauAlphaConfig();
        Assert.Equal((24, 768, 1536, 128, 12000, 2), (c.NumHiddenLayers, c.HiddenSize, c.IntermediateSize, c.AttentionKeySize, c.VocabSize, c.TypeVocabSize));
        Assert.Equal(("swish", AttentionNormalization.SoftmaxPlus, true, 1e-12, false), (c.HiddenAct, c.AttentionNormalization, c.AttentionScale, c.LayerNormEps, c.UseBias));
        Assert.Equal((0.1, 0.1, true), (c.HiddenDropoutProb, c.AttentionProbsDropoutProb, c.TieWordEmbeddings));
    }

    [Fact]
    public void TheSampleConfigsAreTheTinyWidthAtMoreDepth()
    {
        // samples/configs/*.json name only what differs from the released model; the rest (dropout, RoPE, …) is GAU-α's.
        var deep = GauAlphaConfig.Load(Path.Combine(TestPaths.RepositoryRoot, "samples", "configs", "tiny-8-layers.json"));
        Assert.Equal(GauAlphaConfig.Tiny with { NumHiddenLayers = 8 }, deep with { ExtraKeys = null });
    }

    [SkippableFact]
    public void ReadsTheReleasedBaseConfigWhenSharedDataIsPresent()
    {
        string shared = TestPaths.RequireShared();
        var c = GauAlphaConfig.Load(Path.Combine(shared, "vocab", "gau-alpha-base-config.json"));
        Assert.Equal(GauAlphaConfig.Base with { ExtraKeys = c.ExtraKeys }, c);
        Assert.Equal("first", c.ExtraKeys!["summary_type"].GetString());
    }

    [Fact]
    public void UnknownKeysSurviveARoundTrip()
    {
        string json = File.ReadAllText(Path.Combine(TestPaths.TinyModel, "config.json"));
        var config = GauAlphaConfig.FromJson(json);
        var written = JsonNode.Parse(config.ToJson())!.AsObject();
        Assert.Equal("GAUAlphaForMaskedLM", written["architectures"]![0]!.GetValue<string>());
        Assert.Equal(0.02, written["initializer_range"]!.GetValue<double>());
        Assert.Equal(config, GauAlphaConfig.FromJson(config.ToJson()) with { ExtraKeys = config.ExtraKeys });
    }

    [Theory]
    [InlineData("\"attention_key_size\": 31", "attention_key_size")]
    [InlineData("\"hidden_size\": 0", "hidden_size")]
    [InlineData("\"num_hidden_layers\": -2", "num_hidden_layers")]
    [InlineData("\"normalization\": \"sparsemax\"", "normalization")]
    [InlineData("\"hidden_act\": \"tanhh\"", "hidden_act")]
    [InlineData("\"hidden_dropout_prob\": 1.5", "hidden_dropout_prob")]
    [InlineData("\"embedding_size\": 32", "embedding_size")]
    public void ImpossibleValuesAreRefusedNamingTheKey(string replacement, string key)
    {
        string json = File.ReadAllText(Path.Combine(TestPaths.TinyModel, "config.json"));
        var node = JsonNode.Parse(json)!.AsObject();
        var patch = JsonNode.Parse("{" + replacement + "}")!.AsObject();
        foreach (var (k, v) in patch) node[k] = v?.DeepClone();
        var ex = Assert.Throws<InvalidDataException>(() => GauAlphaConfig.FromJson(node.ToJsonString(), "my-config.json"));
        Assert.Contains($"'{key}'", ex.Message);
        Assert.StartsWith("my-config.json:", ex.Message);
    }

    [Fact]
    public void PresetsByName()
    {
        Assert.Equal(GauAlphaConfig.Tiny, GauAlphaConfig.FromPreset("TINY"));
        Assert.Throws<ArgumentException>(() => GauAlphaConfig.FromPreset("huge"));
    }

    [Fact]
    public void AttentionIsFullUnlessTheConfigSaysMixedChunk()
    {
        Assert.Equal(AttentionSpan.Full, GauAlphaConfig.Tiny.AttentionSpan);
        Assert.DoesNotContain("attention\"", GauAlphaConfig.Tiny.ToJson()); // configs written before mixed-chunk attention stay as they were
        Assert.DoesNotContain("chunk_size", GauAlphaConfig.Tiny.ToJson());

        var mixed = GauAlphaConfig.FromJson((GauAlphaConfig.Tiny with { Attention = "mixed_chunk", ChunkSize = 64 }).ToJson());
        Assert.Equal(AttentionSpan.MixedChunk, mixed.AttentionSpan);
        Assert.Equal(64, mixed.EffectiveChunkSize);
        Assert.Equal(GauAlphaConfig.DefaultChunkSize, (mixed with { ChunkSize = null }).EffectiveChunkSize);

        Assert.Contains("'attention': unknown value 'sparse'",
            Assert.Throws<InvalidDataException>(() => (GauAlphaConfig.Tiny with { Attention = "sparse" }).Validate()).Message);
        Assert.Contains("'chunk_size' must be positive",
            Assert.Throws<InvalidDataException>(() => (mixed with { ChunkSize = 0 }).Validate()).Message);
        Assert.Contains("'attention' is not mixed_chunk",
            Assert.Throws<InvalidDataException>(() => (GauAlphaConfig.Tiny with { ChunkSize = 64 }).Validate()).Message);
    }
}
