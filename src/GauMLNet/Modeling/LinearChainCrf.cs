using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// A linear-chain CRF over tags: transition scores [from, to] plus start and end scores. Its negative
/// log-likelihood uses the forward algorithm (log-sum-exp over all tag paths); decoding (Viterbi restricted to valid
/// BIO transitions) is the task model's, in GauMLNet.Core, from these same parameters.
/// </summary>
public sealed class LinearChainCrf : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "transitions")] private readonly Parameter _transitions;
    [ComponentName(Name = "start_transitions")] private readonly Parameter _start;
    [ComponentName(Name = "end_transitions")] private readonly Parameter _end;

    public LinearChainCrf(int tags) : base(nameof(LinearChainCrf))
    {
        _transitions = new Parameter(zeros(tags, tags));
        _start = new Parameter(zeros(tags));
        _end = new Parameter(zeros(tags));
        RegisterComponents();
    }

    /// <summary>
    /// Mean negative log-likelihood of the gold tags. emissions [b, n, T]; tags [b, n] (int64); mask [b, n] bool marks the
    /// scored positions, a contiguous run starting at position 1 (after [CLS]) in every row.
    /// </summary>
    public override Tensor forward(Tensor emissions, Tensor tags, Tensor mask)
    {
        using var scope = NewDisposeScope();
        long n = emissions.shape[1];
        var e = emissions.to(ScalarType.Float32); // the forward algorithm in fp32 whatever the emissions' precision
        var transitions = _transitions.to(ScalarType.Float32);
        var maskF = mask.to(ScalarType.Float32);

        // log Z: alpha over tags, advanced only where the mask is on.
        var alpha = _start.to(ScalarType.Float32).unsqueeze(0).Plus(e[.., 1]);
        for (long t = 2; t < n; t++)
        {
            var next = alpha.unsqueeze(2).Plus(transitions.unsqueeze(0)).logsumexp(1).Plus(e[.., (int)t]);
            alpha = where(mask[.., (int)t].unsqueeze(1), next, alpha);
        }
        var logZ = alpha.Plus(_end.to(ScalarType.Float32).unsqueeze(0)).logsumexp(1);

        // The gold path's score.
        var emitted = e.gather(2, tags.unsqueeze(2)).squeeze(2); // [b, n]
        var gold = (emitted * maskF).sum(1).Plus(_start.to(ScalarType.Float32).index_select(0, tags[.., 1]));
        var previous = tags[.., ..(int)(n - 1)];
        var current = tags[.., 1..];
        var moves = transitions.index_select(0, previous.flatten()).gather(1, current.flatten().unsqueeze(1)).view(previous.shape); // [b, n-1]
        gold = gold.Plus((moves * maskF[.., 1..] * maskF[.., ..(int)(n - 1)]).sum(1));
        var lengths = mask.sum(1); // tokens per row; the last gold tag is at position lengths
        var lastTags = tags.gather(1, lengths.unsqueeze(1)).squeeze(1);
        gold = gold.Plus(_end.to(ScalarType.Float32).index_select(0, lastTags));
        return (logZ - gold).mean().MoveToOuterDisposeScope();
    }
}
