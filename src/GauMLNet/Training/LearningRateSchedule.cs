namespace GauMLNet.Training;

/// <summary>A learning-rate multiplier as a function of the optimizer step.</summary>
public abstract class LearningRateSchedule
{
    public abstract double Multiplier(long step);

    /// <summary>Optional linear warmup over warmupSteps, then linear decay to 0 at totalSteps. GAU-α needs no warmup.</summary>
    public static LearningRateSchedule LinearDecay(long totalSteps, long warmupSteps = 0) => new Linear(totalSteps, warmupSteps);

    public static LearningRateSchedule Constant { get; } = new ConstantSchedule();

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
