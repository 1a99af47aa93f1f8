using GauMLNet.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Training;

/// <summary>
/// LAMB as GAU-α was pretrained with it: Adam moments without bias correction, ε = 1e-6, decoupled
/// weight decay added to the update, and a layer-wise trust ratio ‖w‖ / ‖update‖ scaling each
/// parameter's step. TorchSharp has no LAMB, so this is a small, explicit implementation.
/// </summary>
public sealed class Lamb : ICheckpointedOptimizer, IDisposable
{
    private readonly IReadOnlyList<(string Name, global::TorchSharp.Modules.Parameter Parameter, bool Decay)> _parameters;
    private readonly Dictionary<string, (Tensor M, Tensor V)> _moments = [];
    // The step's constants as scalars held for the optimizer's life (HeldScalars says why a temporary would not do).
    private readonly Scalar _beta1, _oneMinusBeta1, _beta2, _oneMinusBeta2, _epsilon, _weightDecay;

    /// <param name="parameters">named parameters; weight decay applies to matrices, not to scales or biases</param>
    public Lamb(IEnumerable<(string Name, global::TorchSharp.Modules.Parameter Parameter)> parameters, double learningRate,
        double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-6, double weightDecay = 0.01)
    {
        _parameters = parameters.Where(p => p.Parameter.requires_grad).Select(p => (p.Name, p.Parameter, p.Parameter.dim() >= 2)).ToList();
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        (_beta1, _oneMinusBeta1) = (HeldScalars.Hold(beta1), HeldScalars.Hold(1 - beta1));
        (_beta2, _oneMinusBeta2) = (HeldScalars.Hold(beta2), HeldScalars.Hold(1 - beta2));
        (_epsilon, _weightDecay) = (HeldScalars.Hold(epsilon), HeldScalars.Hold(weightDecay));
    }

    public double LearningRate { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }
    public double WeightDecay { get; }

    public IEnumerable<global::TorchSharp.Modules.Parameter> Parameters => _parameters.Select(p => p.Parameter);

    /// <summary>Zeroes the gradients in place.</summary>
    public void ZeroGrad() => InPlaceGradients.Zero(Parameters);

    public void Step()
    {
        using var _ = no_grad();
        foreach (var (name, p, decay) in _parameters)
        {
            using var scope = NewDisposeScope(); // holds the gradient's wrapper and every intermediate through their calls
            if (p.grad is not { } g) continue;
            if (!_moments.TryGetValue(name, out var state))
            {
                state = (zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope());
                _moments[name] = state;
            }
            state.M.mul_(_beta1).add_(g, alpha: _oneMinusBeta1);
            state.V.mul_(_beta2).addcmul_(g, g, value: _oneMinusBeta2);
            var update = state.M / state.V.sqrt().PlusInPlace(_epsilon);
            if (decay && WeightDecay != 0) update = update.PlusInPlace(p.mul(_weightDecay));
            double weightNorm = p.norm().item<float>();
            double updateNorm = update.norm().item<float>();
            double trust = weightNorm > 0 && updateNorm > 0 ? weightNorm / updateNorm : 1.0;
            using var stepSize = (-LearningRate * trust).ToScalar();
            p.add_(update, alpha: stepSize);
        }
    }

    /// <summary>The moments by name ("{param}.m", "{param}.v"), for checkpoints.</summary>
    public Dictionary<string, Tensor> StateDict() =>
        _moments.SelectMany(kv => new[] { KeyValuePair.Create(kv.Key + ".m", kv.Value.M), KeyValuePair.Create(kv.Key + ".v", kv.Value.V) })
            .ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>Restores the moments of the parameters <paramref name="state"/> has; the others keep theirs.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        using var scope = NewDisposeScope(); // keeps the converted temporaries reachable until the copies are made
        foreach (var (name, p, _) in _parameters)
        {
            if (!state.TryGetValue(name + ".m", out var m) || !state.TryGetValue(name + ".v", out var v)) continue;
            Dispose(name);
            _moments[name] = (m.to(p.dtype, p.device).clone().DetachFromDisposeScope(), v.to(p.dtype, p.device).clone().DetachFromDisposeScope());
        }
    }

    void ICheckpointedOptimizer.LoadStateDict(IReadOnlyDictionary<string, Tensor> state, string source) => LoadStateDict(state);

    private void Dispose(string name)
    {
        if (_moments.Remove(name, out var old)) { old.M.Dispose(); old.V.Dispose(); }
    }

    public void Dispose()
    {
        foreach (var (m, v) in _moments.Values) { m.Dispose(); v.Dispose(); }
        _moments.Clear();
    }
}
