using GauMLNet.Configuration;
using GauMLNet.Storage;
using GauMLNet.Text;

namespace GauMLNet.Tasks;

/// <summary>
/// Where a model starts: a checkpoint directory (its config, vocabulary and pretrained weights), or an
/// architecture trained from scratch with a vocabulary given or built from the training text. Estimators,
/// the pretrainer and the CLI resolve it here; an engine's backend turns it into an initialised network.
/// </summary>
public sealed class GauModelSource
{
    private GauModelSource(GauAlphaConfig config, string vocabText, string? pretrainedDirectory, string description)
    {
        Tokenizer = GauTokenizer.FromVocabText(vocabText);
        Config = (pretrainedDirectory is null ? config with { VocabSize = Tokenizer.VocabSize } : config).Validate();
        VocabText = vocabText;
        PretrainedDirectory = pretrainedDirectory;
        Description = description;
        if (Tokenizer.VocabSize != Config.VocabSize)
            throw new InvalidDataException($"{pretrainedDirectory}: vocab.txt has {Tokenizer.VocabSize} entries but config.json says vocab_size {Config.VocabSize}.");
    }

    public GauAlphaConfig Config { get; }
    public string VocabText { get; }
    public GauTokenizer Tokenizer { get; }
    /// <summary>The checkpoint directory whose weights initialise the encoder, or null from scratch.</summary>
    public string? PretrainedDirectory { get; }
    /// <summary>"the checkpoint in DIR" or "a small GAU-α from scratch", for logs.</summary>
    public string Description { get; }

    /// <summary>A checkpoint directory: config.json + model.safetensors + vocab.txt.</summary>
    public static GauModelSource FromDirectory(string directory, Func<GauAlphaConfig, GauAlphaConfig>? adjust = null)
    {
        var config = CheckpointFiles.LoadConfig(directory);
        CheckpointFiles.RequireWeights(directory);
        return new GauModelSource(adjust?.Invoke(config) ?? config, CheckpointFiles.ReadVocab(directory), directory, $"the checkpoint in {directory}");
    }

    /// <summary>
    /// From scratch: <paramref name="config"/> (default Tiny) with the vocabulary of <paramref name="vocabPath"/>, or
    /// one built from <paramref name="texts"/>; vocab_size follows the vocabulary.
    /// </summary>
    public static GauModelSource FromScratch(GauAlphaConfig? config, string? vocabPath, IEnumerable<string?>? texts,
        int maxVocabSize = 8000, int minTokenFrequency = 1, Action<string>? log = null)
    {
        string vocabText;
        if (vocabPath is not null)
        {
            if (!File.Exists(vocabPath)) throw new FileNotFoundException($"vocabulary {vocabPath} does not exist.", vocabPath);
            vocabText = TextFiles.ReadAllText(vocabPath);
        }
        else
        {
            if (texts is null) throw new ArgumentException("Training from scratch needs a vocabulary file or text to build one from.");
            var vocabulary = VocabularyBuilder.Build(texts, maxVocabSize, minTokenFrequency);
            vocabText = string.Join("\n", vocabulary) + "\n";
            log?.Invoke($"built a {vocabulary.Count}-token vocabulary from the training text");
        }
        config ??= GauAlphaConfig.Tiny;
        return new GauModelSource(config, vocabText, null, $"a GAU-α of {config.NumHiddenLayers} layers (d {config.HiddenSize}) from scratch");
    }

    /// <summary>The directory when given, else from scratch.</summary>
    public static GauModelSource Resolve(string? modelDirectory, GauAlphaConfig? config, string? vocabPath, Func<IEnumerable<string?>>? texts,
        int maxVocabSize = 8000, int minTokenFrequency = 1, Action<string>? log = null) =>
        modelDirectory is not null ? FromDirectory(modelDirectory)
            : FromScratch(config, vocabPath, vocabPath is null ? texts?.Invoke() : null, maxVocabSize, minTokenFrequency, log);

    /// <summary>This source with a changed architecture setting that does not touch the weights (dropout, gradient checkpointing).</summary>
    public GauModelSource WithConfig(Func<GauAlphaConfig, GauAlphaConfig> adjust) => new(adjust(Config), VocabText, PretrainedDirectory, Description);
}
