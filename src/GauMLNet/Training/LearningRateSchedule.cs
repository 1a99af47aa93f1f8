namespace GauMLNet.TorchSharp.Training;

/// <summary>A learning-rate multiplier as a function of the optimizer step.</summary>
public abstract class LearningRateSchedule
{
    public abstract double Multiplier(long step);

    /// <summary>Optional linear warmup over warmupSteps, then linear decay to 0 at totalSteps. GAU-α needs no warmup.</summary>
    public static LearningRateSchedule LinearDecay(long totalSteps, long warmupSteps = 0) => new Linear(totalSteps, warmupSteps);

    public static LearningRateSchedule Constant { get; } = new ConstantSchedule();

    /// <summary>
    /// Linear interpolation between (step, multiplier) points, constant after the last; GAU-α was
    /// pretrained with {0: 1, 160k: 0.5, 640k: 0.1, 1.28M: 0.01} and no warmup.
    /// </summary>
    public static LearningRateSchedule PiecewiseLinear(IReadOnlyDictionary<long, double> points) => new Piecewise(points);

    /// <summary>GAU-α's pretraining schedule.</summary>
    public static IReadOnlyDictionary<long, double> GauAlphaPretrainingPoints { get; } =
        new Dictionary<long, double> { [0] = 1.0, [160_000] = 0.5, [640_000] = 0.1, [1_280_000] = 0.01 };

    private sealed class Piecewise : LearningRateSchedule
    {
        private readonly (long Step, double Value)[] _points;

        public Piecewise(IReadOnlyDictionary<long, double> points)
        {
            if (points.Count == 0) throw new ArgumentException("A piecewise-linear schedule needs at least one point.", nameof(points));
            _points = points.OrderBy(p => p.Key).Select(p => (p.Key, p.Value)).ToArray();
        }

        public override double Multiplier(long step)
        {
            if (step <= _points[0].Step) return _points[0].Value;
            for (int i = 1; i < _points.Length; i++)
            {
                var (s1, v1) = _points[i];
                if (step <= s1)
                {
                    var (s0, v0) = _points[i - 1];
                    return v0 + (v1 - v0) * (step - s0) / (s1 - s0);
                }
            }
            return _points[^1].Value;
        }
    }

    private sealed class Linear(long totalSteps, long warmupSteps) : LearningRateSchedule
    {
        public override double Multiplier(long step)
        {
            if (step < warmupSteps) return (step + 1.0) / warmupSteps;
            double remaining = totalSteps - step;
            double span = Math.Max(1, totalSteps - warmupSteps);
            return Math.Clamp(remaining / span, 0.0, 1.0);
        }
    }

    private sealed class ConstantSchedule : LearningRateSchedule
    {
        public override double Multiplier(long step) => 1.0;
    }
}
