using GauMLNet.Engines;
using GauMLNet.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// Text (or a pair) → the pooled GAU-α hidden state as a fixed-size float vector, for any ML.NET trainer
/// to use as Features. Fit does not train: it loads the checkpoint (or seeds a fresh model).
/// </summary>
public sealed class GauTextEmbeddingEstimator : IEstimator<GauTextEmbeddingTransformer>
{
    private readonly IHostEnvironment _env;
    private readonly GauTextEmbeddingOptions _options;
    private readonly IGauNetworkBuilder _backend;

    internal GauTextEmbeddingEstimator(IHostEnvironment env, GauTextEmbeddingOptions options, IGauNetworkBuilder backend)
    {
        _env = env;
        _options = options with { Device = options.Device ?? MLNetInternals.RequestedDevice(env) };
        _backend = backend;
        GauModelLoaders.Register(env.ComponentCatalog);
    }

    private string[] TextColumns => _options.SecondInputColumnName is { } second ? [_options.InputColumnName, second] : [_options.InputColumnName];

    public GauTextEmbeddingTransformer Fit(IDataView input)
    {
        InputColumns.RequireText(input.Schema, TextColumns, nameof(GauTextEmbeddingEstimator));
        if (_options.ModelDirectory is null && _options.VocabPath is null)
            throw new ArgumentException($"{nameof(GauTextEmbeddingEstimator)}: without ModelDirectory, VocabPath must name a vocab.txt (embeddings need a fixed vocabulary).");
        var source = GauModelSource.Resolve(_options.ModelDirectory, _options.Config, _options.VocabPath, texts: null);
        var spec = new GauTaskSpec
        {
            Task = GauTask.Embedding,
            TextColumns = TextColumns,
            OutputColumns = [_options.OutputColumnName],
            Outputs = source.Config.HiddenSize,
            MaxLength = _options.MaxLength,
            BatchSize = _options.BatchSize,
            Pooling = _options.Pooling,
            Device = _options.Device!, // resolved at construction
            InferencePrecision = _options.InferencePrecision,
            ForcePrecision = _options.ForceInferencePrecision,
        };
        var network = _backend.Build(source, spec, _options.Seed);
        try
        {
            return new GauTextEmbeddingTransformer(_env, GauFitting.Fitted(network, spec, source));
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        InputColumns.RequireText(inputSchema, TextColumns, nameof(GauTextEmbeddingEstimator));
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(_options.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, 1));
        var added = MLNetInternals.ToSchemaShape(builder.ToSchema());
        return new SchemaShape(inputSchema.Where(c => c.Name != _options.OutputColumnName).Concat(added));
    }
}
