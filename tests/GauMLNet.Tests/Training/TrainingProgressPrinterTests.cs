using GauMLNet.Training;

namespace GauMLNet.Tests.Training;

/// <summary>The samples' progress lines: throttled within an epoch, always at an epoch's end and for validation.</summary>
public sealed class TrainingProgressPrinterTests
{
    [Fact]
    public void PrintsEpochEndsValidationAndAtMostOneLinePerIntervalInBetween()
    {
        var writer = new StringWriter();
        var printer = new TrainingProgressPrinter(writer, TimeSpan.FromSeconds(10));
        // 2 epochs of 4 steps, one second apart.
        for (int step = 1; step <= 8; step++)
            printer.Report(new TrainingProgress((step - 1) / 4 + 1, 2, step, 8, 1.0 / step, 50, TimeSpan.FromSeconds(step)));
        printer.Report(new TrainingProgress(2, 2, 8, 8, 0.125, 50, TimeSpan.FromSeconds(8), 0.9, "accuracy"));

        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("epoch 1/2 step 4/8 loss 0.2500 50 rows/s, 0:04 elapsed, ~0:04 left", lines[0]);
        Assert.StartsWith("epoch 2/2 step 8/8", lines[1]);
        Assert.Equal("epoch 2/2: validation accuracy 0.9000", lines[2].TrimEnd('\r'));
    }
}
