using GauMLNet.Configuration;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// The backbone ("gau_alpha") with a token-level head ("head"): per-token BIO tag scores [b, n, tags] (softmax and CRF
/// heads) or GlobalPointer span scores [b, types, n, n]. Position 0 is [CLS]; tokens follow; then [SEP] and padding.
/// </summary>
public sealed class GauAlphaForTokenClassification : TaskNetwork
{
    [ComponentName(Name = "gau_alpha")] private readonly GauAlphaModel _backbone;
    [ComponentName(Name = "head")] private readonly nn.Module<Tensor, Tensor> _head;
    private readonly int _outputs;

    /// <param name="outputs">BIO tags (softmax, CRF) or entity types (GlobalPointer)</param>
    public GauAlphaForTokenClassification(GauAlphaConfig config, EntityHead head, int outputs) : base(nameof(GauAlphaForTokenClassification))
    {
        Head = head;
        _outputs = outputs;
        _backbone = new GauAlphaModel(config);
        _head = head == EntityHead.GlobalPointer ? new GlobalPointerHead(config, outputs) : new TokenTaggingHead(config, outputs, crf: head == EntityHead.Crf);
        RegisterComponents();
    }

    public override GauAlphaConfig Config => _backbone.Config;
    public override GauAlphaModel Backbone => _backbone;
    public EntityHead Head { get; }

    public override TaskNetwork EmptyTwin() => new GauAlphaForTokenClassification(Config, Head, _outputs);

    /// <summary>The CRF's parameters (transitions [from·to], start, end) as they stand, for decoding; null for other heads.</summary>
    public (float[] Transitions, float[] Start, float[] End)? CrfParameters()
    {
        if ((_head as TokenTaggingHead)?.Crf is not { } crf) return null;
        using var scope = NewDisposeScope(); // keeps each conversion's intermediates reachable until read
        var state = crf.state_dict();
        float[] Read(string name) => state[name].to(ScalarType.Float32).cpu().data<float>().ToArray();
        return (Read("transitions"), Read("start_transitions"), Read("end_transitions"));
    }

    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) =>
        _head.call(_backbone.call(inputIds, tokenTypeIds, attentionMask));

    /// <summary>
    /// The training loss of a batch. tags [b, n] (int64) hold each token's BIO tag at its position (after [CLS]);
    /// tokenMask [b, n] marks those positions; spans [b, types, n, n] (float, 0/1) are the gold spans for GlobalPointer.
    /// </summary>
    public Tensor Loss(Tensor output, Tensor tags, Tensor tokenMask, Tensor? spans)
    {
        switch (Head)
        {
            case EntityHead.Crf:
                return ((TokenTaggingHead)_head).Crf!.call(output, tags, tokenMask);
            case EntityHead.Softmax:
                {
                    var target = tags.masked_fill(tokenMask.logical_not(), HeldScalars.IgnoredTag); // [CLS], [SEP] and padding are ignored
                    return nn.functional.cross_entropy(output.to(ScalarType.Float32).flatten(0, 1), target.flatten(), ignore_index: -100);
                }
            case EntityHead.GlobalPointer:
                return GlobalPointerLoss(output, spans ?? throw new ArgumentNullException(nameof(spans)), tokenMask);
            default:
                throw new ArgumentOutOfRangeException(nameof(Head), Head, "Unknown entity head.");
        }
    }

    // Su Jianlin's multilabel categorical cross-entropy over all (start ≤ end) spans of real tokens, per type:
    // log(1 + Σ_neg e^s) + log(1 + Σ_pos e^-s), which needs no threshold other than 0.
    private static Tensor GlobalPointerLoss(Tensor logits, Tensor gold, Tensor tokenMask)
    {
        long b = logits.shape[0], types = logits.shape[1], n = logits.shape[2];
        var valid = (tokenMask.unsqueeze(2) & tokenMask.unsqueeze(1)).triu().unsqueeze(1); // [b, 1, n, n]: i ≤ j, both tokens
        var scores = logits.to(ScalarType.Float32).masked_fill(valid.logical_not(), HeldScalars.MinusHuge).view(b * types, n * n);
        var truth = gold.view(b * types, n * n);
        var wrong = truth.neg().PlusInPlace(HeldScalars.One);                 // 1 − truth
        scores = (wrong - truth) * scores;                             // (1 − 2·truth)·s: −s on gold spans
        var negatives = scores - truth.mul(HeldScalars.Huge);
        var positives = scores - wrong.mul(HeldScalars.Huge);
        var zero = zeros(b * types, 1, dtype: ScalarType.Float32, device: scores.device);
        var loss = cat([negatives, zero], 1).logsumexp(1).Plus(cat([positives, zero], 1).logsumexp(1));
        return loss.mean();
    }
}
