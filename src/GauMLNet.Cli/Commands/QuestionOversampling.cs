using System.Globalization;
using GauMLNet.Cli.Failures;
using GauMLNet.QuestionAnswering;

namespace GauMLNet.Cli.Commands;

/// <summary>
/// gau train --oversample PREFIX=TIMES (cmrc2018): the training questions whose id starts with PREFIX are trained TIMES
/// times per epoch, so a part of the training file that looks like the task (CMRC 2018's own questions among translated
/// SQuAD ones) weighs more than its count.
/// </summary>
internal sealed record QuestionOversampling(string IdPrefix, int Times)
{
    /// <summary>Reads PREFIX=TIMES (TIMES a whole number of 2 or more); null when the option was not given.</summary>
    public static QuestionOversampling? Parse(string? value)
    {
        if (value is null) return null;
        int equals = value.LastIndexOf('=');
        if (equals <= 0 || !int.TryParse(value.AsSpan(equals + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int times) || times < 2)
            throw new UsageException($"--oversample must be ID_PREFIX=TIMES with TIMES a whole number of 2 or more (e.g. TRIAL=3), got '{value}'.");
        return new QuestionOversampling(value[..equals], times);
    }

    /// <summary>The training questions with every matching one repeated <see cref="Times"/> times (the copies after the originals, in file order).</summary>
    public IReadOnlyList<QuestionAnsweringExample> Apply(IReadOnlyList<QuestionAnsweringExample> questions, string trainPath, out int matched)
    {
        var matching = questions.Where(q => q.Id.StartsWith(IdPrefix, StringComparison.Ordinal)).ToList();
        matched = matching.Count;
        if (matched == 0) throw new UsageException($"--oversample: no question of {trainPath} has an id starting with '{IdPrefix}'.");
        return [.. questions, .. Enumerable.Repeat(matching, Times - 1).SelectMany(m => m)];
    }

    public override string ToString() => $"{IdPrefix}={Times}";
}
