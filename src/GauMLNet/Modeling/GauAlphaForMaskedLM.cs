using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.Modeling;

/// <summary>The backbone ("gau_alpha") and its MLM head ("cls"): the shape of the released checkpoints.</summary>
public sealed class GauAlphaForMaskedLM : nn.Module
{
    [ComponentName(Name = "gau_alpha")] private readonly GauAlphaModel _backbone;
    [ComponentName(Name = "cls")] private readonly MaskedLanguageModelHead _head;

    /// <param name="config">the architecture</param>
    /// <param name="tiedDecoder">false gives the head its own decoder matrix (a checkpoint has cls.predictions.decoder.weight)</param>
    public GauAlphaForMaskedLM(GauAlphaConfig config, bool? tiedDecoder = null) : base(nameof(GauAlphaForMaskedLM))
    {
        _backbone = new GauAlphaModel(config);
        _head = new MaskedLanguageModelHead(config, tiedDecoder ?? config.TieWordEmbeddings);
        RegisterComponents();
    }

    public GauAlphaConfig Config => _backbone.Config;
    public GauAlphaModel Backbone => _backbone;
    public MaskedLanguageModelHead Head => _head;

    public Tensor Forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) =>
        _backbone.Forward(inputIds, tokenTypeIds, attentionMask);

    public Tensor MlmLogits(Tensor hidden) => _head.Forward(hidden, _backbone.Embeddings.WordEmbeddings.weight!);

    /// <summary>Draws every matrix with the config's initializer; scales to 1, offsets to 0.</summary>
    public void InitializeWeights(Generator? generator = null) =>
        ParameterInitialization.Apply(this, Config, generator);
}
