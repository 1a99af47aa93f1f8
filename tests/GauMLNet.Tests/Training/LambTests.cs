using GauMLNet.TorchSharp.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Training;

public class LambTests
{
    [Fact]
    public void TwoStepsMatchTheHandComputedUpdate()
    {
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-6, wd = 0.01;
        using var matrix = new Parameter(tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2));
        using var scale = new Parameter(tensor(new float[] { 0.5f, -1.5f }));
        using var lamb = new Lamb([("w", matrix), ("gamma", scale)], lr, b1, b2, eps, wd);
        double[][] gradients = [[0.1, -0.2, 0.3, 0.4], [-0.05, 0.1, 0.2, -0.3]];
        double[][] scaleGradients = [[1.0, -2.0], [0.5, 0.5]];

        double[] w = [1, 2, 3, 4], m = new double[4], v = new double[4];
        double[] s = [0.5, -1.5], ms = new double[2], vs = new double[2];
        for (int step = 0; step < 2; step++)
        {
            matrix.grad = tensor(gradients[step].Select(x => (float)x).ToArray()).reshape(2, 2);
            scale.grad = tensor(scaleGradients[step].Select(x => (float)x).ToArray());
            lamb.Step();
            w = HandStep(w, gradients[step], m, v, decay: true);
            s = HandStep(s, scaleGradients[step], ms, vs, decay: false);
        }

        var actual = matrix.data<float>().ToArray();
        for (int i = 0; i < 4; i++) Assert.Equal(w[i], actual[i], 5);
        var actualScale = scale.data<float>().ToArray();
        for (int i = 0; i < 2; i++) Assert.Equal(s[i], actualScale[i], 5);

        // Moments without bias correction, trust ratio ‖w‖/‖u‖, decoupled decay only on matrices.
        double[] HandStep(double[] p, double[] g, double[] mom, double[] vel, bool decay)
        {
            var u = new double[p.Length];
            for (int i = 0; i < p.Length; i++)
            {
                mom[i] = b1 * mom[i] + (1 - b1) * g[i];
                vel[i] = b2 * vel[i] + (1 - b2) * g[i] * g[i];
                u[i] = mom[i] / (Math.Sqrt(vel[i]) + eps) + (decay ? wd * p[i] : 0);
            }
            double trust = Math.Sqrt(p.Sum(x => x * x)) / Math.Sqrt(u.Sum(x => x * x));
            return p.Select((x, i) => x - lr * trust * u[i]).ToArray();
        }
    }

    [Fact]
    public void PiecewiseLinearScheduleInterpolatesAndHoldsTheLastValue()
    {
        var schedule = LearningRateSchedule.PiecewiseLinear(new Dictionary<long, double> { [0] = 1, [100] = 0.5, [300] = 0.1 });
        Assert.Equal(1.0, schedule.Multiplier(0), 12);
        Assert.Equal(0.75, schedule.Multiplier(50), 12);
        Assert.Equal(0.3, schedule.Multiplier(200), 12);
        Assert.Equal(0.1, schedule.Multiplier(5000), 12);
        var gau = LearningRateSchedule.PiecewiseLinear(LearningRateSchedule.GauAlphaPretrainingPoints);
        Assert.Equal(0.5, gau.Multiplier(160_000), 12);
        Assert.Equal(0.01, gau.Multiplier(2_000_000), 12);
    }
}
