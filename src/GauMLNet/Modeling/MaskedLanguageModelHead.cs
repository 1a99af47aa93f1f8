using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.Modeling;

/// <summary>
/// MLM logits = h·Eᵀ with no bias. Tied by default to the token embedding E; a checkpoint that
/// carries cls.predictions.decoder.weight gets a separate decoder (named as the port names it).
/// </summary>
public sealed class MaskedLanguageModelHead : nn.Module
{
    [ComponentName(Name = "predictions")] private readonly Predictions _predictions;

    public MaskedLanguageModelHead(GauAlphaConfig config, bool tied) : base(nameof(MaskedLanguageModelHead))
    {
        _predictions = new Predictions(tied ? null : nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false));
        RegisterComponents();
    }

    public bool IsTied => _predictions.Decoder is null;

    /// <summary>Logits over the vocabulary for hidden states [..., d]; tokenEmbedding is E [vocab, d].</summary>
    public Tensor Forward(Tensor hidden, Tensor tokenEmbedding) =>
        _predictions.Decoder is { } decoder ? decoder.forward(hidden) : hidden.matmul(tokenEmbedding.t());

    private sealed class Predictions : nn.Module
    {
        [ComponentName(Name = "decoder")] private readonly Linear? _decoder;

        public Predictions(Linear? decoder) : base(nameof(Predictions))
        {
            _decoder = decoder;
            RegisterComponents();
        }

        public Linear? Decoder => _decoder;
    }
}
