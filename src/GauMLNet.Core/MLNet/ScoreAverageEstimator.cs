using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.MLNet;

/// <summary>
/// Fits a <see cref="ScoreAverageTransformer"/>: the score columns must be float vectors of one size whose slots name the
/// same classes in the same order (as classifiers trained on one MapValueToKey("Label", ByValue) column write them).
/// </summary>
public sealed class ScoreAverageEstimator(IReadOnlyList<string> scoreColumns) : IEstimator<ScoreAverageTransformer>
{
    public ScoreAverageTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (scoreColumns.Count == 0) throw new ArgumentException("Give at least one score column.", nameof(input));
        string[]? classes = null;
        foreach (string name in scoreColumns)
        {
            int size = ScoreAverageTransformer.RequireScore(input.Schema, name, 0);
            var column = input.Schema[name];
            if (!column.HasSlotNames()) throw new ArgumentOutOfRangeException(nameof(input), $"The score column '{name}' does not name its classes (no slot names).");
            VBuffer<ReadOnlyMemory<char>> names = default;
            column.GetSlotNames(ref names);
            var these = names.DenseValues().Select(n => n.ToString()).ToArray();
            if (these.Length != size) throw new ArgumentOutOfRangeException(nameof(input), $"The score column '{name}' names {these.Length} classes for its {size} slots.");
            if (classes is not null && !classes.SequenceEqual(these, StringComparer.Ordinal))
                throw new ArgumentOutOfRangeException(nameof(input), $"The score column '{name}' names its classes ({string.Join(", ", these.Take(8))}) unlike '{scoreColumns[0]}' ({string.Join(", ", classes.Take(8))}): the classifiers must share one label mapping.");
            classes = these;
        }
        return new ScoreAverageTransformer(scoreColumns, classes!);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(ScoreAverageTransformer.ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, 1));
        builder.AddColumn(ScoreAverageTransformer.PredictedLabelColumnName, TextDataViewType.Instance);
        var added = MLNetInternals.ToSchemaShape(builder.ToSchema());
        return new SchemaShape(inputSchema.Where(c => c.Name is not (ScoreAverageTransformer.ScoreColumnName or ScoreAverageTransformer.PredictedLabelColumnName)).Concat(added));
    }
}
