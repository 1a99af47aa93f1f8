using GauMLNet.Configuration;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>The backbone ("gau_alpha") and its MLM head ("cls"): the shape of the released checkpoints. Its output is the last hidden state.</summary>
public sealed class GauAlphaForMaskedLM : TaskNetwork
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

    public override GauAlphaConfig Config => _backbone.Config;
    public override GauAlphaModel Backbone => _backbone;
    public MaskedLanguageModelHead Head => _head;

    public override TaskNetwork EmptyTwin() => new GauAlphaForMaskedLM(Config, _head.IsTied);

    /// <summary>Last hidden states [b, n, d].</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) =>
        _backbone.call(inputIds, tokenTypeIds, attentionMask);

    public Tensor MlmLogits(Tensor hidden) => _head.call(hidden, _backbone.Embeddings.WordEmbeddings.weight!);
}
