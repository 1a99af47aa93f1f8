using System.Globalization;
using System.Text.Json.Serialization;

namespace GauMLNet.Experiments;

/// <summary>One searchable hyperparameter.</summary>
[JsonDerivedType(typeof(LogUniform), "log_uniform")]
[JsonDerivedType(typeof(Uniform), "uniform")]
[JsonDerivedType(typeof(IntRange), "int")]
[JsonDerivedType(typeof(Choice), "choice")]
public abstract record ParameterRange
{
    /// <summary>Draws a value.</summary>
    public abstract object Sample(Random random);

    /// <summary>Where a value lies in [0, 1] (numeric ranges; log scale for LogUniform), for model-based tuners.</summary>
    public abstract double ToUnit(object value);

    /// <summary>The value at a point of [0, 1].</summary>
    public abstract object FromUnit(double unit);
}

/// <summary>A float searched on a log scale, e.g. learning rates.</summary>
public sealed record LogUniform(double Min, double Max) : ParameterRange
{
    public override object Sample(Random random) => FromUnit(random.NextDouble());
    public override double ToUnit(object value) => (Math.Log(Convert.ToDouble(value, CultureInfo.InvariantCulture)) - Math.Log(Min)) / (Math.Log(Max) - Math.Log(Min));
    public override object FromUnit(double unit) => Math.Exp(Math.Log(Min) + Math.Clamp(unit, 0, 1) * (Math.Log(Max) - Math.Log(Min)));
}

public sealed record Uniform(double Min, double Max) : ParameterRange
{
    public override object Sample(Random random) => FromUnit(random.NextDouble());
    public override double ToUnit(object value) => (Convert.ToDouble(value, CultureInfo.InvariantCulture) - Min) / (Max - Min);
    public override object FromUnit(double unit) => Min + Math.Clamp(unit, 0, 1) * (Max - Min);
}

/// <summary>An integer in [Min, Max].</summary>
public sealed record IntRange(int Min, int Max) : ParameterRange
{
    public override object Sample(Random random) => random.Next(Min, Max + 1);
    public override double ToUnit(object value) => Max == Min ? 0.5 : (Convert.ToDouble(value, CultureInfo.InvariantCulture) - Min) / (Max - Min);
    public override object FromUnit(double unit) => (int)Math.Round(Min + Math.Clamp(unit, 0, 1) * (Max - Min));
}

/// <summary>One of a few values (batch sizes, poolings, model presets).</summary>
public sealed record Choice(params string[] Values) : ParameterRange
{
    public override object Sample(Random random) => Values[random.Next(Values.Length)];
    public override double ToUnit(object value) => Values.Length == 1 ? 0.5 : (double)Array.IndexOf(Values, value.ToString()) / (Values.Length - 1);
    public override object FromUnit(double unit) => Values[(int)Math.Round(Math.Clamp(unit, 0, 1) * (Values.Length - 1))];
}

/// <summary>The hyperparameters a sweep explores, by name.</summary>
public sealed class SearchSpace
{
    public SearchSpace(IReadOnlyDictionary<string, ParameterRange> ranges)
    {
        if (ranges.Count == 0) throw new ArgumentException("A search space needs at least one parameter.", nameof(ranges));
        Ranges = ranges;
    }

    public IReadOnlyDictionary<string, ParameterRange> Ranges { get; }

    public TrialParameters Sample(Random random) => new(Ranges.ToDictionary(kv => kv.Key, kv => kv.Value.Sample(random)));

    /// <summary>A sensible space for fine-tuning GAU-α classifiers: learning rate, epochs, batch size, max length, dropout, frozen layers, pooling.</summary>
    public static SearchSpace ForFineTuning(bool fromScratch) => new(new Dictionary<string, ParameterRange>
    {
        [TrialParameters.LearningRate] = fromScratch ? new LogUniform(1e-4, 3e-3) : new LogUniform(1e-5, 1e-4),
        [TrialParameters.Epochs] = new IntRange(2, fromScratch ? 30 : 6),
        [TrialParameters.BatchSize] = new Choice("16", "32"),
        [TrialParameters.MaxLength] = new Choice("64", "128"),
        [TrialParameters.Dropout] = new Uniform(0.0, 0.3),
        [TrialParameters.FrozenLayers] = new IntRange(0, fromScratch ? 0 : 4),
        [TrialParameters.Pooling] = new Choice("First", "Mean"),
        [TrialParameters.ModelSize] = fromScratch ? new Choice("tiny", "small") : new Choice("pretrained"),
    });
}

/// <summary>The values of one trial, with typed access for the well-known names.</summary>
public sealed record TrialParameters(IReadOnlyDictionary<string, object> Values)
{
    public const string LearningRate = "learning_rate", Epochs = "epochs", BatchSize = "batch_size", MaxLength = "max_length",
        Dropout = "dropout", FrozenLayers = "frozen_layers", Pooling = "pooling", ModelSize = "model_size";

    /// <summary>
    /// A <see cref="Choice"/> of whole pipelines by name: the experiment's pipeline factory builds the chain the trial
    /// names, with or without a GAU estimator in it, so one search compares pipelines and their hyperparameters together.
    /// </summary>
    public const string Pipeline = "pipeline";

    public double Double(string name) => Convert.ToDouble(Values[name], CultureInfo.InvariantCulture);
    public int Int(string name) => Convert.ToInt32(Values[name], CultureInfo.InvariantCulture);
    public string Text(string name) => Convert.ToString(Values[name], CultureInfo.InvariantCulture)!;
    public bool Has(string name) => Values.ContainsKey(name);

    public override string ToString() => string.Join(", ", Values.Select(kv => $"{kv.Key}={Format(kv.Value)}"));

    private static string Format(object value) => value is double d ? d.ToString("G3", CultureInfo.InvariantCulture) : Convert.ToString(value, CultureInfo.InvariantCulture)!;
}
