using GauMLNet.Scoring;
using GauMLNet.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// What every GauMLNet transformer shares: schema checks, lazy batched Transform, a row mapper for
/// PredictionEngine, saving into ML.NET model files (through <see cref="MLNetInternals"/>) and into a
/// checkpoint directory that needs no ML.NET internals.
/// </summary>
public abstract class GauTransformerBase : ITransformer, IDisposable
{
    private readonly IHostEnvironment _env;
    private IReadOnlyList<GauOutputColumn>? _outputColumns;

    private protected GauTransformerBase(IHostEnvironment env, GauTaskModel model)
    {
        _env = env;
        Model = model;
        if (model.Engine.Notice is { } notice) Log(notice); // e.g. scoring in fp32 where bf16 would only be emulated
    }

    /// <summary>The fitted model's files, tokenizer and scoring engine.</summary>
    public GauTaskModel Model { get; }

    /// <summary>Losses and validation metrics of the Fit that made this transformer (null when loaded from a file).</summary>
    public Training.FineTuningResult? TrainingResult { get; internal set; }

    internal IReadOnlyList<GauOutputColumn> OutputColumns => _outputColumns ??= BuildOutputColumns();

    private protected abstract IReadOnlyList<GauOutputColumn> BuildOutputColumns();

    internal abstract GauModelVersion Version { get; }

    /// <summary>A transformer of the same kind over another fitted model (e.g. the same weights on another engine).</summary>
    public GauTransformerBase WithModel(GauTaskModel model)
    {
        if (model.Spec.Task != Model.Spec.Task)
            throw new ArgumentException($"A {GetType().Name} runs {Model.Spec.Task} models, not {model.Spec.Task}.", nameof(model));
        return Create(_env, model);
    }

    private protected abstract GauTransformerBase Create(IHostEnvironment env, GauTaskModel model);

    public bool IsRowToRowMapper => true;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        InputColumns.RequireText(inputSchema, Model.Spec.TextColumns, GetType().Name);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        foreach (var column in OutputColumns) builder.AddColumn(column.Name, column.Type, column.Annotations);
        return builder.ToSchema();
    }

    /// <summary>Lazy: nothing runs until a cursor moves; rows are then scored in length-sorted batches.</summary>
    public IDataView Transform(IDataView input) => new GauScoredDataView(this, input);

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new GauRowMapper(this, inputSchema);

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        var writer = MLNetInternals.BeginSave(ctx, Version);
        ModelFiles.Write(writer, Model.Package.ToFiles());
    }

    /// <summary>Saves encoder, head, vocabulary and task description as a directory; reload with the transformer's LoadCheckpoint.</summary>
    public void SaveCheckpoint(string directory) => Model.Package.SaveDirectory(directory);

    /// <summary>Scores rows of text, logging how many had to be truncated.</summary>
    internal virtual ScoredRow[] Score(IReadOnlyList<string?[]> rows)
    {
        var encoded = Model.Encode(rows, out int truncated);
        if (truncated > 0) Log($"{truncated} of {rows.Count} row(s) were longer than MaxLength {Model.Spec.MaxLength} tokens and were truncated.");
        return Model.Score(encoded).Select(v => new ScoredRow(v)).ToArray();
    }

    internal void Log(string message)
    {
        using var channel = _env.Start("GauMLNet");
        channel.Info(MessageSensitivity.None, message);
    }

    private protected static GauTaskModel ReadModel(object modelLoadContext, GauModelVersion version) =>
        GauTaskModel.Load(GauModelPackage.FromFiles(ModelFiles.Read(MLNetInternals.BeginLoad(modelLoadContext, version)),
            "ML.NET model entry " + version.LoaderSignature));

    /// <summary>Loads a model directory and checks it holds the task this transformer runs.</summary>
    private protected static GauTaskModel LoadDirectory(string directory, string? device, GauTask task, string what)
    {
        var package = GauModelPackage.LoadDirectory(directory);
        if (package.Spec.Task != task)
            throw new InvalidDataException($"{directory} holds a {package.Spec.Task.ToString().ToLowerInvariant()} model, not {what}.");
        return GauTaskModel.Load(package, device);
    }

    public void Dispose()
    {
        Model.Dispose();
        GC.SuppressFinalize(this);
    }
}
