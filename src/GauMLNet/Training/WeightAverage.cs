using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Training;

/// <summary>
/// An exponential moving average of a model's trainable weights, updated after every optimizer step:
/// a ← a·d + w·(1 − d) with d = min(decay, (1 + t) / (10 + t)) at update t (counted from 1), so the first updates follow
/// the weights closely instead of averaging them with where training started. Validation can score the average
/// (<see cref="SwapIn"/>) while training goes on from the weights themselves. Its state is named tensors
/// ("{param}" and "updates"), so a checkpoint stores it as safetensors and a resumed run repeats an uninterrupted one.
/// </summary>
public sealed class WeightAverage : IDisposable
{
    private readonly (string Name, global::TorchSharp.Modules.Parameter Parameter)[] _parameters;
    private readonly Dictionary<string, Tensor> _average = new(StringComparer.Ordinal);

    /// <param name="model">its trainable parameters are averaged (fp32 masters in mixed precision)</param>
    /// <param name="decay">the largest per-update decay d, in (0, 1); 0.999 averages over about the last 1,000 steps</param>
    public WeightAverage(nn.Module model, double decay)
    {
        if (!(decay is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "The weight-average decay must be in (0, 1).");
        Decay = decay;
        _parameters = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToArray();
        using var _ = no_grad();
        using var scope = NewDisposeScope(); // each detached view stays reachable until its copy is made
        foreach (var (name, p) in _parameters) _average[name] = p.detach().clone().DetachFromDisposeScope();
    }

    public double Decay { get; }

    /// <summary>Updates made so far.</summary>
    public long Updates { get; private set; }

    /// <summary>Moves the average toward the weights as they are now (call after each optimizer step).</summary>
    public void Update()
    {
        Updates++;
        double d = Math.Min(Decay, (1.0 + Updates) / (10.0 + Updates));
        using var keep = d.ToScalar();
        using var take = (1 - d).ToScalar();
        using var _ = no_grad();
        foreach (var (name, p) in _parameters)
        {
            using var scope = NewDisposeScope();
            _average[name].mul_(keep).add_(p, alpha: take);
        }
    }

    /// <summary>
    /// Puts the average into the model's trainable parameters and returns what brings the weights back when disposed,
    /// so validation scores the average and training continues from its own weights.
    /// </summary>
    public IDisposable SwapIn()
    {
        using var _ = no_grad();
        Tensor[] saved;
        using (NewDisposeScope()) saved = _parameters.Select(p => p.Parameter.detach().clone().DetachFromDisposeScope()).ToArray();
        Apply();
        return new Restorer(this, saved);
    }

    /// <summary>Puts the average into the model's trainable parameters for good (the model a run keeps).</summary>
    public void Apply()
    {
        using var _ = no_grad();
        foreach (var (name, p) in _parameters) p.copy_(_average[name]);
    }

    private sealed class Restorer(WeightAverage owner, Tensor[] saved) : IDisposable
    {
        public void Dispose()
        {
            using (no_grad())
                for (int i = 0; i < saved.Length; i++) owner._parameters[i].Parameter.copy_(saved[i]);
            foreach (var t in saved) t.Dispose();
        }
    }

    private const string UpdatesEntry = "updates";

    /// <summary>The state by name: each parameter's average (the average's own tensors; do not dispose them) and "updates" (new: open a dispose scope around the call).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>(_average, StringComparer.Ordinal)
        {
            [UpdatesEntry] = tensor(new[] { Updates }, [1], ScalarType.Int64),
        };
        return state;
    }

    /// <summary>Restores a <see cref="StateDict"/>, every entry checked before any is taken; <paramref name="source"/> names it in errors.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        if (!state.TryGetValue(UpdatesEntry, out var updates) || updates.dtype != ScalarType.Int64 || updates.numel() != 1 || updates.item<long>() < 0)
            throw new InvalidDataException($"{source}: entry '{UpdatesEntry}' must be one int64 of 0 or more.");
        if (state.Keys.FirstOrDefault(k => k != UpdatesEntry && !_average.ContainsKey(k)) is { } stranger)
            throw new InvalidDataException($"{source}: entry '{stranger}' belongs to no trained parameter of this model.");
        foreach (var (name, p) in _parameters)
        {
            if (!state.TryGetValue(name, out var saved)) throw new InvalidDataException($"{source}: the average of parameter '{name}' is missing.");
            if (!saved.shape.SequenceEqual(p.shape))
                throw new InvalidDataException($"{source}: entry '{name}' has shape [{string.Join(", ", saved.shape)}], the parameter [{string.Join(", ", p.shape)}].");
        }
        using var _ = no_grad();
        using var scope = NewDisposeScope(); // the converted temporaries stay reachable until copied
        foreach (var (name, p) in _parameters) _average[name].copy_(state[name].to(p.dtype, p.device));
        Updates = updates.item<long>();
    }

    public void Dispose()
    {
        foreach (var t in _average.Values) t.Dispose();
        _average.Clear();
    }
}
