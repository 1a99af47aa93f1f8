using System.Text;
using GauMLNet.Checkpoints;
using GauMLNet.Modeling;
using GauMLNet.Runtime;
using GauMLNet.Text;
using GauMLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.MLNet;

/// <summary>
/// A fitted GAU model with everything needed to score text: the task description, the encoder and
/// head, and the tokenizer. It is saved as files — config.json, model.safetensors, vocab.txt,
/// gau-task.json — either into a checkpoint directory (no ML.NET internals) or into an ML.NET model zip.
/// </summary>
public sealed class GauTaskModel : IDisposable
{
    private readonly string _vocabText;
    private readonly Lazy<nn.Module> _scoringModule;

    internal GauTaskModel(GauTaskSpec spec, GauAlphaConfig config, nn.Module module, string vocabText, Device device)
    {
        Spec = spec;
        Config = config;
        Module = module;
        _vocabText = vocabText;
        Device = device;
        Tokenizer = GauTokenizer.FromVocabText(vocabText);
        Module.to(device).eval();
        // A lower precision scores with a converted copy, so Module keeps the fp32 weights that are saved.
        _scoringModule = new Lazy<nn.Module>(() => spec.InferencePrecision == InferencePrecision.Float32 ? Module : ConvertedCopy(spec.InferencePrecision.ToScalarType()));
    }

    private nn.Module ConvertedCopy(ScalarType type)
    {
        var copy = CreateModule(Spec, Config);
        copy.load_state_dict(Module.state_dict());
        copy.to(Device).to(type).eval();
        return copy;
    }

    private static nn.Module CreateModule(GauTaskSpec spec, GauAlphaConfig config) => spec.Task == GauTaskSpec.Embedding
        ? new GauAlphaForEmbedding(config, spec.Pooling)
        : new GauAlphaForSequenceTask(config, spec.Outputs, spec.Pooling);

    public GauTaskSpec Spec { get; }
    public GauAlphaConfig Config { get; }
    /// <summary><see cref="GauAlphaForSequenceTask"/> for classification and regression, <see cref="GauAlphaForEmbedding"/> for embeddings.</summary>
    public nn.Module Module { get; }
    public GauTokenizer Tokenizer { get; }
    public Device Device { get; }

    /// <summary>Tokenizes rows of text (one or two columns), counting the rows that had to be truncated.</summary>
    public EncodedText[] Encode(IReadOnlyList<string?[]> rows, out int truncated)
    {
        var encoded = rows.Select(r => Tokenizer.Encode(r[0], Spec.TextColumns.Length == 2 ? r[1] ?? "" : null, Spec.MaxLength)).ToArray();
        truncated = encoded.Count(e => e.Truncated);
        return encoded;
    }

    /// <summary>
    /// One output vector per row, in order: class probabilities (classification), [score] (regression),
    /// or the pooled embedding. Batched by length, no autograd.
    /// </summary>
    public float[][] Score(IReadOnlyList<EncodedText> rows)
    {
        if (rows.Count == 0) return [];
        Func<TensorBatch, Tensor> forward = _scoringModule.Value switch
        {
            GauAlphaForSequenceTask task when Spec.Task == GauTaskSpec.Classification => b => task.Forward(b.InputIds, b.TokenTypeIds, b.AttentionMask).to(ScalarType.Float32).softmax(-1),
            GauAlphaForSequenceTask task => b => task.Forward(b.InputIds, b.TokenTypeIds, b.AttentionMask),
            GauAlphaForEmbedding embedding => b => embedding.Forward(b.InputIds, b.TokenTypeIds, b.AttentionMask),
            _ => throw new InvalidOperationException($"Unexpected module {Module.GetType().Name}."),
        };
        var outputs = BatchedInference.Run(rows, Spec.BatchSize, Tokenizer.PadId, Device, forward, out int passes);
        Interlocked.Add(ref _forwardPasses, passes);
        return outputs;
    }

    private long _forwardPasses;

    /// <summary>How many batched forward passes this model has run (for diagnostics and tests).</summary>
    public long ForwardPasses => Interlocked.Read(ref _forwardPasses);

    /// <summary>The files of this model, by name.</summary>
    public IReadOnlyDictionary<string, byte[]> ToFiles()
    {
        using var weights = new MemoryStream();
        SafeTensors.Save(weights, Module.state_dict(), ScalarType.Float32, new Dictionary<string, string> { ["format"] = "pt" });
        return new Dictionary<string, byte[]>
        {
            [GauTaskSpec.FileName] = Encoding.UTF8.GetBytes(Spec.ToJson()),
            [CheckpointDirectory.ConfigFile] = Encoding.UTF8.GetBytes(Config.ToJson()),
            [CheckpointDirectory.VocabFile] = Encoding.UTF8.GetBytes(_vocabText),
            [CheckpointDirectory.WeightsFile] = weights.ToArray(),
        };
    }

    /// <summary>Rebuilds a model from its files; <paramref name="device"/> overrides the saved device preference.</summary>
    public static GauTaskModel FromFiles(IReadOnlyDictionary<string, byte[]> files, string source, string? device = null)
    {
        byte[] Require(string name) => files.TryGetValue(name, out var bytes) ? bytes : throw new InvalidDataException($"{source}: {name} is missing.");
        var spec = GauTaskSpec.FromJson(Encoding.UTF8.GetString(Require(GauTaskSpec.FileName)), $"{source}/{GauTaskSpec.FileName}");
        var config = GauAlphaConfig.FromJson(Encoding.UTF8.GetString(Require(CheckpointDirectory.ConfigFile)), $"{source}/{CheckpointDirectory.ConfigFile}");
        string vocab = Encoding.UTF8.GetString(Require(CheckpointDirectory.VocabFile));
        var module = CreateModule(spec, config);
        using (var weights = new MemoryStream(Require(CheckpointDirectory.WeightsFile), writable: false))
            StateDictLoader.LoadStream(module, weights, $"{source}/{CheckpointDirectory.WeightsFile}");
        return new GauTaskModel(spec, config, module, vocab, ComputeDevice.Resolve(device ?? spec.Device));
    }

    /// <summary>Writes the model's files into a directory, each atomically.</summary>
    public void SaveDirectory(string directory)
    {
        Directory.CreateDirectory(directory);
        // The task description goes last: a directory with it is complete.
        foreach (var (name, bytes) in ToFiles().OrderBy(kv => kv.Key == GauTaskSpec.FileName))
            AtomicFile.Write(Path.Combine(directory, name), s => s.Write(bytes));
    }

    public static GauTaskModel LoadDirectory(string directory, string? device = null)
    {
        if (!File.Exists(Path.Combine(directory, GauTaskSpec.FileName)))
            throw new FileNotFoundException($"{directory} is not a fitted GauMLNet model: {GauTaskSpec.FileName} is missing.");
        var files = new[] { GauTaskSpec.FileName, CheckpointDirectory.ConfigFile, CheckpointDirectory.VocabFile, CheckpointDirectory.WeightsFile }
            .Where(name => File.Exists(Path.Combine(directory, name)))
            .ToDictionary(name => name, name => File.ReadAllBytes(Path.Combine(directory, name)));
        return FromFiles(files, directory, device);
    }

    public void Dispose()
    {
        if (_scoringModule.IsValueCreated && !ReferenceEquals(_scoringModule.Value, Module)) _scoringModule.Value.Dispose();
        Module.Dispose();
    }
}
