using GauMLNet.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Training;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter) as torch.optim.AdamW and TorchSharp's AdamW compute it: bias-corrected moments and
/// decoupled weight decay, p ← p·(1 − lr·λ) − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε). Written here because TorchSharp's
/// step passes its constants to libtorch as Scalars it makes and drops, which a collection can free mid-call
/// (<see cref="HeldScalars"/>); every Scalar here is held until the step ends. Its state is named tensors, so a
/// checkpoint stores it as safetensors.
/// </summary>
public sealed class AdamW : ICheckpointedOptimizer, IDisposable
{
    private sealed class Moments(Tensor mean, Tensor squares) : IDisposable
    {
        public Tensor Mean { get; } = mean;
        public Tensor Squares { get; } = squares;
        public long Steps { get; set; }
        public void Dispose() { Mean.Dispose(); Squares.Dispose(); }
    }

    private readonly IReadOnlyList<(string Name, global::TorchSharp.Modules.Parameter Parameter, double WeightDecay)> _parameters;
    private readonly Dictionary<string, Moments> _moments = [];
    private readonly Scalar _beta1, _oneMinusBeta1, _beta2, _oneMinusBeta2, _epsilon;

    /// <param name="parameters">named parameters, each with its weight decay λ (0 for scales and biases)</param>
    public AdamW(IEnumerable<(string Name, global::TorchSharp.Modules.Parameter Parameter, double WeightDecay)> parameters, double learningRate,
        double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be 0 or more.");
        if (!(beta1 is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "β₁ must be in [0, 1).");
        if (!(beta2 is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "β₂ must be in [0, 1).");
        if (!(epsilon >= 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be 0 or more.");
        _parameters = parameters.ToList();
        foreach (var (name, _, decay) in _parameters)
            if (!(decay >= 0)) throw new ArgumentOutOfRangeException(nameof(parameters), decay, $"The weight decay of {name} must be 0 or more.");
        LearningRate = learningRate;
        (Beta1, Beta2, Epsilon) = (beta1, beta2, epsilon);
        (_beta1, _oneMinusBeta1) = (HeldScalars.Hold(beta1), HeldScalars.Hold(1 - beta1));
        (_beta2, _oneMinusBeta2) = (HeldScalars.Hold(beta2), HeldScalars.Hold(1 - beta2));
        _epsilon = HeldScalars.Hold(epsilon);
    }

    /// <summary>The usual setup: every trainable parameter, with weight decay on matrices only, not on scales and biases.</summary>
    public static AdamW ForTrainableParameters(nn.Module model, double learningRate, double weightDecay) =>
        new(model.named_parameters().Where(p => p.parameter.requires_grad)
            .Select(p => (p.name, p.parameter, p.parameter.dim() >= 2 ? weightDecay : 0.0)), learningRate);

    public double LearningRate { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }

    public IEnumerable<global::TorchSharp.Modules.Parameter> Parameters => _parameters.Select(p => p.Parameter);

    /// <summary>Zeroes the gradients in place.</summary>
    public void ZeroGrad() => InPlaceGradients.Zero(Parameters);

    /// <summary>One step for every parameter that has a gradient; a parameter without one keeps its weights and its step count.</summary>
    public void Step()
    {
        using var _ = no_grad();
        foreach (var (name, p, weightDecay) in _parameters)
        {
            using var scope = NewDisposeScope(); // holds the gradient's wrapper and every intermediate through their calls
            if (p.grad is not { } g) continue;
            if (!_moments.TryGetValue(name, out var state))
                _moments[name] = state = new Moments(zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope());
            state.Steps++;
            using var decay = (1 - LearningRate * weightDecay).ToScalar();
            using var correction2 = Math.Sqrt(1 - Math.Pow(Beta2, state.Steps)).ToScalar();
            using var stepSize = (-LearningRate / (1 - Math.Pow(Beta1, state.Steps))).ToScalar();
            p.mul_(decay);
            state.Mean.mul_(_beta1).add_(g, alpha: _oneMinusBeta1);
            state.Squares.mul_(_beta2).addcmul_(g, g, value: _oneMinusBeta2);
            var denominator = state.Squares.sqrt().div_(correction2).PlusInPlace(_epsilon);
            p.addcdiv_(state.Mean, denominator, value: stepSize);
        }
    }

    /// <summary>
    /// The state by name ("{param}.exp_avg", "{param}.exp_avg_sq", "{param}.step"), for checkpoints. The moments are the
    /// optimizer's own tensors (do not dispose them); the step tensors are new (open a dispose scope around the call).
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, moments) in _moments)
        {
            state[name + ".exp_avg"] = moments.Mean;
            state[name + ".exp_avg_sq"] = moments.Squares;
            state[name + ".step"] = tensor(new[] { moments.Steps }, [1], ScalarType.Int64);
        }
        return state;
    }

    /// <summary>
    /// Restores a <see cref="StateDict"/>; <paramref name="source"/> names it in errors. Every entry is checked before
    /// any is taken, so a refused state leaves the optimizer as it was.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var known = new HashSet<string>(_parameters.SelectMany(p => new[] { p.Name + ".exp_avg", p.Name + ".exp_avg_sq", p.Name + ".step" }), StringComparer.Ordinal);
        if (state.Keys.FirstOrDefault(k => !known.Contains(k)) is { } stranger)
            throw new InvalidDataException($"{source}: entry '{stranger}' belongs to no trained parameter of this model.");
        var taken = new List<(string Name, global::TorchSharp.Modules.Parameter Parameter, Tensor Mean, Tensor Squares, long Steps)>();
        foreach (var (name, p, _) in _parameters)
        {
            bool hasMean = state.TryGetValue(name + ".exp_avg", out var mean), hasSquares = state.TryGetValue(name + ".exp_avg_sq", out var squares),
                hasSteps = state.TryGetValue(name + ".step", out var steps);
            if (!hasMean && !hasSquares && !hasSteps) continue; // no step has reached it yet
            if (!(hasMean && hasSquares && hasSteps))
                throw new InvalidDataException($"{source}: parameter '{name}' has only part of its state (exp_avg, exp_avg_sq and step go together).");
            foreach (var (entry, t) in new[] { (".exp_avg", mean!), (".exp_avg_sq", squares!) })
                if (!t.shape.SequenceEqual(p.shape))
                    throw new InvalidDataException($"{source}: entry '{name}{entry}' has shape [{string.Join(", ", t.shape)}], the parameter [{string.Join(", ", p.shape)}].");
            if (steps!.dtype != ScalarType.Int64 || steps.numel() != 1 || steps.item<long>() < 1)
                throw new InvalidDataException($"{source}: entry '{name}.step' must be one int64 of 1 or more.");
            taken.Add((name, p, mean!, squares!, steps.item<long>()));
        }
        foreach (var (name, _, _) in _parameters) Forget(name);
        // In a scope: the converted temporaries stay reachable until the copies are made (a collection could free them mid-call).
        using var scope = NewDisposeScope();
        foreach (var (name, p, mean, squares, steps) in taken)
            _moments[name] = new Moments(mean.to(p.dtype, p.device).clone().DetachFromDisposeScope(), squares.to(p.dtype, p.device).clone().DetachFromDisposeScope()) { Steps = steps };
    }

    private void Forget(string name)
    {
        if (_moments.Remove(name, out var old)) old.Dispose();
    }

    public void Dispose()
    {
        foreach (var moments in _moments.Values) moments.Dispose();
        _moments.Clear();
    }
}
