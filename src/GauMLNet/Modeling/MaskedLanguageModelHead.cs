using GauMLNet.Configuration;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// MLM logits = h·Eᵀ with no bias. Tied by default to the token embedding E; a checkpoint that
/// carries cls.predictions.decoder.weight gets a separate decoder (named as the port names it).
/// </summary>
public sealed class MaskedLanguageModelHead : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "predictions")] private readonly Predictions _predictions;

    public MaskedLanguageModelHead(GauAlphaConfig config, bool tied) : base(nameof(MaskedLanguageModelHead))
    {
        _predictions = new Predictions(tied ? null : nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false));
        RegisterComponents();
    }

    public bool IsTied => _predictions.IsTied;

    /// <summary>Logits over the vocabulary for hidden states [..., d]; tokenEmbedding is E [vocab, d].</summary>
    public override Tensor forward(Tensor hidden, Tensor tokenEmbedding) => _predictions.call(hidden, tokenEmbedding);

    /// <summary>"predictions" in the port's names: the decoder, or the tied embedding when there is none.</summary>
    private sealed class Predictions : nn.Module<Tensor, Tensor, Tensor>
    {
        [ComponentName(Name = "decoder")] private readonly Linear? _decoder;

        public Predictions(Linear? decoder) : base(nameof(Predictions))
        {
            _decoder = decoder;
            RegisterComponents();
        }

        public bool IsTied => _decoder is null;

        public override Tensor forward(Tensor hidden, Tensor tokenEmbedding) =>
            _decoder is { } decoder ? decoder.call(hidden) : hidden.matmul(tokenEmbedding.t());
    }
}
