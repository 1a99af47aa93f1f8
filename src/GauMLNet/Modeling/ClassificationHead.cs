using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.Modeling;

/// <summary>Pooled hidden state → dropout → linear layer: logits over classes (or one score for regression).</summary>
public sealed class ClassificationHead : nn.Module
{
    [ComponentName(Name = "dropout")] private readonly Dropout _dropout;
    [ComponentName(Name = "classifier")] private readonly Linear _classifier;

    public ClassificationHead(GauAlphaConfig config, int outputs, SequencePooling pooling) : base(nameof(ClassificationHead))
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

    public Tensor Forward(Tensor hidden, Tensor attentionMask) =>
        _classifier.forward(_dropout.forward(SequencePooler.Pool(hidden, attentionMask, Pooling)));
}
