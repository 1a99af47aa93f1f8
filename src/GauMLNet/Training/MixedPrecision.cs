using GauMLNet.Configuration;
using GauMLNet.TorchSharp.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Training;

/// <summary>
/// bf16 mixed-precision training of a model whose own parameters stay fp32: they are the master weights the optimizer
/// updates (with fp32 state), that validation reads and that checkpoints and the fitted model save. Each step runs its
/// forward and backward passes on a bf16 working copy of the model:
/// <code>
///   Sync()                  masters → working copy, rounded to bf16 (before the forward pass, so any restore of the
///                           masters — a resume, a divergence — is picked up)
///   forward, backward       on the working copy; the caller casts the head's output to fp32 and computes the loss in fp32
///   AccumulateGradients()   the working copy's bf16 gradients added into the masters' fp32 gradients, then cleared
///   clip, optimizer step    on the masters, in fp32, as without mixed precision
/// </code>
/// Inside the model, RMSNorm's statistic and the attention normalization (softmax, softmax_plus's log-length factor,
/// squared_relu) run in fp32 on bf16 inputs and hand back bf16 (see RmsNorm and GatedAttentionUnit).
/// No loss scaling: bf16 keeps fp32's 8-bit exponent (smallest normal ≈ 1.2e-38), so a gradient that fits in fp32 neither
/// underflows nor overflows in bf16; only its mantissa is shorter (8 bits). fp16's GradScaler exists for fp16's 5-bit
/// exponent, whose smallest normal is 6e-5.
/// </summary>
public sealed class MixedPrecision<TModule> : IDisposable where TModule : TaskNetwork
{
    private readonly TModule _master;
    private readonly (Parameter Master, Parameter Working)[] _pairs;

    private MixedPrecision(TModule master, TModule working)
    {
        _master = master;
        Working = working;
        var workingByName = working.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        _pairs = master.named_parameters()
            .Select(p => (p.parameter, workingByName.TryGetValue(p.name, out var w) ? w
                : throw new ArgumentException($"The working copy has no parameter '{p.name}'.", nameof(working))))
            .ToArray();
        if (_pairs.Length != workingByName.Count) throw new ArgumentException("The working copy's parameters differ from the model's.", nameof(working));
    }

    /// <summary>The bf16 copy the forward and backward passes run on.</summary>
    public TModule Working { get; }

    /// <summary>The number format of the working copy.</summary>
    public static ScalarType ComputeType => ScalarType.BFloat16;

    /// <summary>
    /// For bf16: a working copy (the master's <see cref="TaskNetwork.EmptyTwin"/>), on the master's device.
    /// For fp32: null, and the caller trains the model itself.
    /// </summary>
    public static MixedPrecision<TModule>? For(TrainingPrecision precision, TModule master)
    {
        if (precision == TrainingPrecision.Float32) return null;
        var device = master.parameters().First().device;
        var working = (TModule)master.EmptyTwin();
        try
        {
            working.to(device).to(ComputeType);
            var mixed = new MixedPrecision<TModule>(master, working);
            mixed.Sync();
            return mixed;
        }
        catch
        {
            working.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies the masters into the working copy (rounded to bf16), with their requires_grad and training mode. After the
    /// first, full copy a parameter frozen on both sides is skipped: no step changes it.
    /// </summary>
    public TModule Sync()
    {
        using (no_grad())
        {
            foreach (var (master, working) in _pairs)
            {
                if (_copiedOnce && !master.requires_grad && !working.requires_grad) continue;
                working.copy_(master);
                if (working.requires_grad != master.requires_grad) working.requires_grad = master.requires_grad;
            }
        }
        _copiedOnce = true;
        Working.train(_master.training);
        return Working;
    }

    private bool _copiedOnce;

    /// <summary>The masters were replaced wholesale (a resume's weights): the next <see cref="Sync"/> copies every parameter.</summary>
    public void MastersReplaced() => _copiedOnce = false;

    /// <summary>
    /// Adds the working copy's gradients (bf16) into the masters' (fp32) and clears the working copy's, so gradient
    /// accumulation over micro-batches sums in fp32. Call after each backward pass.
    /// </summary>
    public void AccumulateGradients()
    {
        using var scope = NewDisposeScope();
        EnsureMasterGradients();
        using (no_grad())
        {
            foreach (var (master, working) in _pairs)
            {
                if (working.grad is not { } gradient) continue;
                master.grad!.PlusInPlace(gradient);
            }
        }
        Working.zero_grad();
    }

    // TorchSharp 0.107 cannot assign .grad; a backward pass through zero gives each trainable master an fp32 gradient
    // (zeros) to accumulate into. Optimizers zero gradients in place, so this does work once unless they drop them.
    private void EnsureMasterGradients()
    {
        var missing = _pairs.Select(p => p.Master).Where(p => p.requires_grad && p.grad is null).ToArray();
        if (missing.Length == 0) return;
        using var _ = enable_grad();
        missing.Select(p => p.sum().mul(HeldScalars.Zero)).Aggregate((a, b) => a.Plus(b)).backward();
    }

    public void Dispose() => Working.Dispose();
}

/// <summary>Creates <see cref="MixedPrecision{TModule}"/> with the type inferred.</summary>
public static class MixedPrecision
{
    /// <inheritdoc cref="MixedPrecision{TModule}.For"/>
    public static MixedPrecision<TModule>? For<TModule>(TrainingPrecision precision, TModule master) where TModule : TaskNetwork =>
        MixedPrecision<TModule>.For(precision, master);
}
