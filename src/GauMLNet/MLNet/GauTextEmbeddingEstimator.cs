using GauMLNet.Checkpoints;
using GauMLNet.Modeling;
using GauMLNet.Runtime;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace GauMLNet.MLNet;

/// <summary>
/// Text (or a pair) → the pooled GAU-α hidden state as a fixed-size float vector, for any ML.NET trainer
/// to use as Features. Fit does not train: it loads the checkpoint (or seeds a fresh model).
/// </summary>
public sealed class GauTextEmbeddingEstimator : IEstimator<GauTextEmbeddingTransformer>
{
    private readonly IHostEnvironment _env;
    private readonly GauTextEmbeddingOptions _options;

    internal GauTextEmbeddingEstimator(IHostEnvironment env, GauTextEmbeddingOptions options)
    {
        _env = env;
        _options = options with { };
        GauCatalog.RegisterGauMLNet(env.ComponentCatalog);
    }

    private string[] TextColumns => _options.SecondInputColumnName is { } second ? [_options.InputColumnName, second] : [_options.InputColumnName];

    public GauTextEmbeddingTransformer Fit(IDataView input)
    {
        InputColumns.RequireText(input.Schema, TextColumns, nameof(GauTextEmbeddingEstimator));
        GauAlphaConfig config;
        string vocabText;
        if (_options.ModelDirectory is { } dir)
        {
            config = CheckpointDirectory.LoadConfig(dir);
            string vocab = CheckpointDirectory.VocabPath(dir);
            if (!File.Exists(vocab)) throw new FileNotFoundException($"{dir} has no {CheckpointDirectory.VocabFile}.", vocab);
            vocabText = File.ReadAllText(vocab);
        }
        else
        {
            if (_options.VocabPath is not { } path || !File.Exists(path))
                throw new FileNotFoundException($"{nameof(GauTextEmbeddingEstimator)}: without ModelDirectory, VocabPath must name an existing vocab.txt (got '{_options.VocabPath}').");
            vocabText = File.ReadAllText(path);
            config = (_options.Config ?? GauAlphaConfig.Tiny) with { VocabSize = Text.GauTokenizer.FromVocabText(vocabText).VocabSize };
        }
        var module = new GauAlphaForEmbedding(config, _options.Pooling);
        using (var generator = new torch.Generator((ulong)_options.Seed))
        {
            ParameterInitialization.Apply(module, config, generator);
        }
        if (_options.ModelDirectory is { } pretrained) CheckpointDirectory.LoadBackbone(pretrained, module.Backbone);
        var spec = new GauTaskSpec
        {
            Task = GauTaskSpec.Embedding,
            TextColumns = TextColumns,
            OutputColumns = [_options.OutputColumnName],
            Outputs = config.HiddenSize,
            MaxLength = _options.MaxLength,
            BatchSize = _options.BatchSize,
            Pooling = _options.Pooling,
            Device = _options.Device,
            InferencePrecision = _options.InferencePrecision,
        };
        return new GauTextEmbeddingTransformer(_env, new GauTaskModel(spec, config, module, vocabText, ComputeDevice.Resolve(_options.Device)));
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        InputColumns.RequireText(inputSchema, TextColumns, nameof(GauTextEmbeddingEstimator));
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(_options.OutputColumnName, new Microsoft.ML.Data.VectorDataViewType(Microsoft.ML.Data.NumberDataViewType.Single, 1));
        var added = MLNetInternals.ToSchemaShape(builder.ToSchema());
        return new SchemaShape(inputSchema.Where(c => c.Name != _options.OutputColumnName).Concat(added));
    }
}
