using GauMLNet.Configuration;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>Token + segment embeddings, then RMSNorm and dropout. No position embeddings: RoPE carries position.</summary>
public sealed class GauAlphaEmbeddings : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "word_embeddings")] private readonly Embedding _tokens;
    [ComponentName(Name = "token_type_embeddings")] private readonly Embedding _segments;
    [ComponentName(Name = "norm")] private readonly RmsNorm _norm;
    [ComponentName(Name = "dropout")] private readonly Dropout _dropout;

    public GauAlphaEmbeddings(GauAlphaConfig config) : base(nameof(GauAlphaEmbeddings))
    {
        _tokens = nn.Embedding(config.VocabSize, config.HiddenSize);
        _segments = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        _norm = new RmsNorm(config.LayerNormEps);
        _dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    public Embedding WordEmbeddings => _tokens;

    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds) =>
        _dropout.call(_norm.call(_tokens.call(inputIds).Plus(_segments.call(tokenTypeIds))));
}
