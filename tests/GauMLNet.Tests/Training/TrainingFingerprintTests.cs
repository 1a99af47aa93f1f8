using GauMLNet.Text;
using GauMLNet.Training;

namespace GauMLNet.Tests.Training;

public class TrainingFingerprintTests
{
    private static LabeledExample Row(int[] tags, params (int, int, int)[] spans) =>
        new(new EncodedText([2, 7, 8, 9, 3], [0, 0, 0, 0, 0], Truncated: false), 0, new TokenTargets(tags, spans));

    private static IReadOnlyDictionary<string, string> Of(params LabeledExample[] rows) => new TrainingFingerprint().AddData("training_data", rows).Entries;

    [Fact]
    public void ChangedEntityTargetsOnTheSameTextAreADifferentRun()
    {
        var original = Of(Row([1, 2, 0], (0, 1, 0)));
        new TrainingFingerprint().AddData("training_data", [Row([1, 2, 0], (0, 1, 0))]).RequireSame(original, "ckpt"); // same targets: resumable

        var retagged = Assert.Throws<CheckpointFingerprintException>(() =>
            new TrainingFingerprint().AddData("training_data", [Row([3, 4, 0], (0, 1, 1))]).RequireSame(original, "ckpt"));
        Assert.Contains("training_data", Assert.Single(retagged.Differences));
        Assert.NotEqual(original["training_data"], Of(Row([1, 2, 0], (0, 0, 0)))["training_data"]); // a span alone counts too
    }
}
