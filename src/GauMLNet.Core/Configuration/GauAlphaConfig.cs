using System.Text.Json;
using System.Text.Json.Serialization;

namespace GauMLNet.Configuration;

/// <summary>
/// Every knob of a GAU-α encoder, read from and written to the PyTorch port's Hugging Face–style
/// config.json. Defaults are the released base model (chinese_GAU-alpha-char_L-24_H-768).
/// Keys this class does not model survive a load/save round trip.
/// </summary>
public sealed record GauAlphaConfig
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "gau_alpha";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 12000;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    /// <summary>e: the width of u and v.</summary>
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 1536;
    /// <summary>s: the width of z, q and k.</summary>
    [JsonPropertyName("attention_key_size")] public int AttentionKeySize { get; init; } = 128;
    /// <summary>Number of GAU layers (two per Attention+FFN pair of a Transformer).</summary>
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 24;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "swish";
    [JsonPropertyName("normalization")] public string Normalization { get; init; } = "softmax_plus";
    [JsonPropertyName("attention_scale")] public bool AttentionScale { get; init; } = true;
    /// <summary>full (absent: GAU-α) or mixed_chunk (FLASH's chunked quadratic + linear attention; see AttentionSpan).</summary>
    [JsonPropertyName("attention")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Attention { get; init; }
    /// <summary>C, the chunk length of mixed_chunk attention (absent: 256).</summary>
    [JsonPropertyName("chunk_size")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? ChunkSize { get; init; }
    [JsonPropertyName("use_bias")] public bool UseBias { get; init; }
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    [JsonPropertyName("type_vocab_size")] public int TypeVocabSize { get; init; } = 2;
    [JsonPropertyName("hidden_dropout_prob")] public double HiddenDropoutProb { get; init; } = 0.1;
    [JsonPropertyName("attention_probs_dropout_prob")] public double AttentionProbsDropoutProb { get; init; } = 0.1;
    /// <summary>Must equal hidden_size: GAU-α has no factorized embedding mapping.</summary>
    [JsonPropertyName("embedding_size")] public int? EmbeddingSize { get; init; } = 768;
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }
    /// <summary>The MLM decoder is the token embedding unless a checkpoint carries cls.predictions.decoder.weight.</summary>
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; } = true;
    /// <summary>Initializer for training from scratch: gau_alpha, normal_0.02 or lecun_normal.</summary>
    [JsonPropertyName("initializer")] public string Initializer { get; init; } = "gau_alpha";
    /// <summary>
    /// Training keeps each layer's input only and recomputes the layer in backward: activation memory of
    /// one layer instead of all, for one more forward pass. Gradients are unchanged.
    /// </summary>
    [JsonPropertyName("gradient_checkpointing")] public bool GradientCheckpointing { get; init; }

    /// <summary>Keys of config.json this class does not model; written back unchanged.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? ExtraKeys { get; init; }

    /// <summary>The released base model: 24 GAU layers, d 768, e 1536, s 128.</summary>
    public static GauAlphaConfig Base => new();

    /// <summary>A small model that trains in minutes on a CPU: 8 layers, d 256, e 512, s 64.</summary>
    public static GauAlphaConfig Small => new() { HiddenSize = 256, EmbeddingSize = 256, IntermediateSize = 512, AttentionKeySize = 64, NumHiddenLayers = 8 };

    /// <summary>A tiny model for tests and quick starts: 4 layers, d 128, e 256, s 32.</summary>
    public static GauAlphaConfig Tiny => new() { HiddenSize = 128, EmbeddingSize = 128, IntermediateSize = 256, AttentionKeySize = 32, NumHiddenLayers = 4 };

    /// <summary>Tiny, Small or Base by name (case-insensitive).</summary>
    public static GauAlphaConfig FromPreset(string name) => name.ToLowerInvariant() switch
    {
        "tiny" => Tiny,
        "small" => Small,
        "base" => Base,
        _ => throw new ArgumentException($"Unknown GAU-α preset '{name}'; expected tiny, small or base.", nameof(name)),
    };

    [JsonIgnore]
    public AttentionNormalization AttentionNormalization => Normalization switch
    {
        "softmax_plus" => AttentionNormalization.SoftmaxPlus,
        "squared_relu" => AttentionNormalization.SquaredRelu,
        "softmax" => AttentionNormalization.Softmax,
        _ => throw new InvalidDataException($"config key 'normalization': unknown value '{Normalization}'; expected softmax_plus, squared_relu or softmax."),
    };

    [JsonIgnore]
    public AttentionSpan AttentionSpan => Attention switch
    {
        null or "full" => AttentionSpan.Full,
        "mixed_chunk" => AttentionSpan.MixedChunk,
        _ => throw new InvalidDataException($"config key 'attention': unknown value '{Attention}'; expected full or mixed_chunk."),
    };

    /// <summary>The default chunk length of mixed_chunk attention (FLASH's C).</summary>
    public const int DefaultChunkSize = 256;

    [JsonIgnore]
    public int EffectiveChunkSize => ChunkSize ?? DefaultChunkSize;

    [JsonIgnore]
    public WeightInitializer WeightInitializer => Initializer switch
    {
        "gau_alpha" => WeightInitializer.GauAlpha,
        "normal_0.02" => WeightInitializer.Normal002,
        "lecun_normal" => WeightInitializer.LecunNormal,
        _ => throw new InvalidDataException($"config key 'initializer': unknown value '{Initializer}'; expected gau_alpha, normal_0.02 or lecun_normal."),
    };

    /// <summary>Refuses impossible values with a message naming the key.</summary>
    public GauAlphaConfig Validate()
    {
        static void Positive(string key, double value)
        {
            if (!(value > 0)) throw new InvalidDataException($"config key '{key}' must be positive, got {value}.");
        }
        static void Probability(string key, double value)
        {
            if (!(value >= 0 && value < 1)) throw new InvalidDataException($"config key '{key}' must be in [0, 1), got {value}.");
        }
        Positive("vocab_size", VocabSize);
        Positive("hidden_size", HiddenSize);
        Positive("intermediate_size", IntermediateSize);
        Positive("attention_key_size", AttentionKeySize);
        Positive("num_hidden_layers", NumHiddenLayers);
        Positive("type_vocab_size", TypeVocabSize);
        Positive("layer_norm_eps", LayerNormEps);
        Probability("hidden_dropout_prob", HiddenDropoutProb);
        Probability("attention_probs_dropout_prob", AttentionProbsDropoutProb);
        if (AttentionKeySize % 2 != 0)
            throw new InvalidDataException($"config key 'attention_key_size' must be even (RoPE rotates pairs), got {AttentionKeySize}.");
        if (EmbeddingSize is { } e && e != HiddenSize)
            throw new InvalidDataException($"config key 'embedding_size' ({e}) must equal hidden_size ({HiddenSize}): GAU-α has no embedding mapping.");
        if (PadTokenId < 0 || PadTokenId >= VocabSize)
            throw new InvalidDataException($"config key 'pad_token_id' must be in [0, vocab_size), got {PadTokenId}.");
        _ = AttentionNormalization;
        _ = AttentionSpan;
        if (ChunkSize is { } c && c <= 0) throw new InvalidDataException($"config key 'chunk_size' must be positive, got {c}.");
        if (ChunkSize is not null && AttentionSpan != AttentionSpan.MixedChunk)
            throw new InvalidDataException("config key 'chunk_size' is set but 'attention' is not mixed_chunk: only mixed-chunk attention has chunks.");
        _ = WeightInitializer;
        if (!HiddenActivations.Contains(HiddenAct))
            throw new InvalidDataException($"config key 'hidden_act': unknown activation '{HiddenAct}'; expected {string.Join(", ", HiddenActivations)}.");
        return this;
    }

    /// <summary>The hidden activations the port's configs name (swish and silu are the same function).</summary>
    public static IReadOnlyList<string> HiddenActivations { get; } = ["swish", "silu", "gelu", "relu"];

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static GauAlphaConfig FromJson(string json, string source = "config.json")
    {
        GauAlphaConfig? config;
        try { config = JsonSerializer.Deserialize<GauAlphaConfig>(json, JsonOptions); }
        catch (JsonException ex) { throw new InvalidDataException($"{source}: not a valid GAU-α config ({ex.Message}).", ex); }
        if (config is null) throw new InvalidDataException($"{source}: empty config.");
        try { return config.Validate(); }
        catch (InvalidDataException ex) { throw new InvalidDataException($"{source}: {ex.Message}", ex); }
    }

    public static GauAlphaConfig Load(string path) => FromJson(File.ReadAllText(path), path);

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
