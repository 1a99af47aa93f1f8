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
    private protected IHostEnvironment HostEnvironment { get; }
    private IReadOnlyList<GauOutputColumn>? _outputColumns;

    private protected GauTransformerBase(IHostEnvironment env, GauTaskModel model) : this(env, [model])
    {
    }

    private protected GauTransformerBase(IHostEnvironment env, IReadOnlyList<GauTaskModel> models)
    {
        if (models.Count == 0) throw new ArgumentException("Give at least one fitted model.", nameof(models));
        HostEnvironment = env;
        Models = models.ToArray();
        if (Model.Engine.Notice is { } notice) Log(notice); // e.g. scoring in fp32 where bf16 would only be emulated
    }

    /// <summary>The fitted model's files, tokenizer and scoring engine (the first of <see cref="Models"/>).</summary>
    public GauTaskModel Model => Models[0];

    /// <summary>
    /// Every fitted network this transformer scores with: one, or several whose outputs a question answerer averages
    /// (<see cref="GauQuestionAnsweringTransformer.Average"/>).
    /// </summary>
    public IReadOnlyList<GauTaskModel> Models { get; }

    /// <summary>Losses and validation metrics of the Fit that made this transformer (null when loaded from a file).</summary>
    public Training.FineTuningResult? TrainingResult { get; internal set; }

    internal IReadOnlyList<GauOutputColumn> OutputColumns => _outputColumns ??= BuildOutputColumns();

    private protected abstract IReadOnlyList<GauOutputColumn> BuildOutputColumns();

    internal abstract GauModelVersion Version { get; }

    /// <summary>A transformer of the same kind over another fitted model (e.g. the same weights on another engine).</summary>
    public GauTransformerBase WithModel(GauTaskModel model)
    {
        if (Models.Count > 1)
            throw new InvalidOperationException($"This {GetType().Name} averages {Models.Count} networks; give one model for each with WithModels.");
        return WithModels([model]);
    }

    /// <summary>A transformer of the same kind over other fitted models, one for each of <see cref="Models"/> (e.g. on another engine).</summary>
    public GauTransformerBase WithModels(IReadOnlyList<GauTaskModel> models)
    {
        if (models.Count != Models.Count)
            throw new ArgumentException($"This {GetType().Name} scores with {Models.Count} network(s); {models.Count} model(s) were given.", nameof(models));
        foreach (var model in models)
            if (model.Spec.Task != Model.Spec.Task)
                throw new ArgumentException($"A {GetType().Name} runs {Model.Spec.Task} models, not {model.Spec.Task}.", nameof(models));
        return Create(HostEnvironment, models);
    }

    private protected abstract GauTransformerBase Create(IHostEnvironment env, GauTaskModel model);

    /// <summary>Over as many models as <see cref="Models"/> (checked): one, unless a transformer averages several.</summary>
    private protected virtual GauTransformerBase Create(IHostEnvironment env, IReadOnlyList<GauTaskModel> models) => Create(env, models[0]);

    /// <summary>Refuses what only one network can do (export one graph, serve one engine), naming the transformer and <paramref name="what"/>.</summary>
    internal void RequireOneNetwork(string what)
    {
        if (Models.Count > 1)
            throw new InvalidOperationException($"This {GetType().Name} averages {Models.Count} networks, and {what} takes one; " +
                "use one of them (transformer.WithModels([transformer.Models[k]])) or keep the average on TorchSharp or ToOnnxRuntime().");
    }

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
        WriteModels(writer);
    }

    private protected virtual void WriteModels(BinaryWriter writer) => ModelFiles.Write(writer, Model.Package.ToFiles());

    /// <summary>Saves encoder, head, vocabulary and task description as a directory; reload with the transformer's LoadCheckpoint.</summary>
    public void SaveCheckpoint(string directory)
    {
        RequireOneNetwork("a checkpoint directory");
        Model.Package.SaveDirectory(directory);
    }

    /// <summary>Scores rows of text, logging how many had to be truncated.</summary>
    internal virtual ScoredRow[] Score(IReadOnlyList<string?[]> rows)
    {
        var encoded = Model.Encode(rows, out int truncated);
        if (truncated > 0) Log($"{truncated} of {rows.Count} row(s) were longer than MaxLength {Model.Spec.MaxLength} tokens and were truncated.");
        return Model.Score(encoded).Select(v => new ScoredRow(v)).ToArray();
    }

    internal void Log(string message)
    {
        using var channel = HostEnvironment.Start("GauMLNet");
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
        foreach (var model in Models) model.Dispose();
        GC.SuppressFinalize(this);
    }
}
