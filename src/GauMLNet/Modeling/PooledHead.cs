using GauMLNet.Configuration;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// Pooled hidden state → dropout → linear layer: class logits for classification, one score for
/// regression. Its weights are named head.classifier.* as the port's classification head names them.
/// </summary>
public sealed class PooledHead : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "dropout")] private readonly Dropout _dropout;
    [ComponentName(Name = "classifier")] private readonly Linear _classifier;

    public PooledHead(GauAlphaConfig config, int outputs, SequencePooling pooling) : base(nameof(PooledHead))
    {
        if (outputs < 1) throw new ArgumentOutOfRangeException(nameof(outputs), outputs, "A head needs at least one output.");
        Pooling = pooling;
        Outputs = outputs;
        _dropout = nn.Dropout(config.HiddenDropoutProb);
        _classifier = nn.Linear(config.HiddenSize, outputs, hasBias: true);
        RegisterComponents();
    }

    public SequencePooling Pooling { get; }
    public int Outputs { get; }

    /// <summary>hidden [b, n, d], attentionMask [b, n] → [b, outputs].</summary>
    public override Tensor forward(Tensor hidden, Tensor attentionMask) =>
        _classifier.call(_dropout.call(SequencePooler.Pool(hidden, attentionMask, Pooling)));
}
