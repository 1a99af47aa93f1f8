using GauMLNet.Configuration;
using GauMLNet.Storage;
using GauMLNet.TorchSharp.Checkpoints;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp;

/// <summary>What <see cref="GauAlphaEncoder.Encode"/> returns for one sequence.</summary>
/// <param name="LastHiddenState">[real tokens][d]: hidden states of the unmasked positions only</param>
/// <param name="MlmLogitsFirstToken">[vocab]: MLM logits at position 0</param>
public sealed record EncoderOutput(float[][] LastHiddenState, float[] MlmLogitsFirstToken);

/// <summary>
/// GAU-α without ML.NET: load a checkpoint directory onto a device and encode token ids.
/// Inference runs in eval mode with no autograd graph; every input tensor is created on the model's device.
/// </summary>
public sealed class GauAlphaEncoder : IDisposable
{
    private GauAlphaEncoder(GauAlphaForMaskedLM model, Device device, string? vocabPath)
    {
        Model = model;
        Device = device;
        VocabPath = vocabPath;
        Model.to(device).eval();
    }

    public GauAlphaForMaskedLM Model { get; }
    public GauAlphaConfig Config => Model.Config;
    public Device Device { get; }
    /// <summary>The checkpoint's vocab.txt, when it has one.</summary>
    public string? VocabPath { get; }

    /// <param name="directory">config.json + model.safetensors (+ vocab.txt)</param>
    /// <param name="device">auto, cpu, cuda or cuda:N</param>
    public static GauAlphaEncoder Load(string directory, string device = "auto")
    {
        var model = CheckpointDirectory.LoadMaskedLM(directory);
        string vocab = CheckpointFiles.VocabPath(directory);
        return new GauAlphaEncoder(model, ComputeDevice.Resolve(device), File.Exists(vocab) ? vocab : null);
    }

    /// <summary>A freshly initialized encoder (the config's initializer, seeded).</summary>
    public static GauAlphaEncoder Create(GauAlphaConfig config, string device = "auto", long seed = 0)
    {
        return new GauAlphaEncoder(TaskNetworks.CreateMaskedLM(config, seed), ComputeDevice.Resolve(device), null);
    }

    public void Save(string directory, ScalarType dtype = ScalarType.Float32) =>
        CheckpointDirectory.Save(directory, Model, VocabPath, dtype);

    /// <summary>Last hidden states [b, n, d] for a padded batch (inputs may live on any device).</summary>
    public Tensor Forward(Tensor inputIds, Tensor? tokenTypeIds = null, Tensor? attentionMask = null)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope(); // holds the intermediates until the calls that read them return
        var ids = inputIds.to(ScalarType.Int64, Device);
        var types = tokenTypeIds?.to(ScalarType.Int64, Device) ?? zeros_like(ids);
        var mask = attentionMask?.to(ScalarType.Int64, Device) ?? ones_like(ids);
        return Model.call(ids, types, mask).MoveToOuterDisposeScope();
    }

    /// <summary>Encodes a padded batch given as rows of ids; mask 1 marks real tokens (defaults: segment 0, all real).</summary>
    public EncoderOutput[] Encode(long[][] inputIds, long[][]? tokenTypeIds = null, long[][]? attentionMask = null)
    {
        int width = CheckRectangular(inputIds, null, "input_ids");
        if (tokenTypeIds is not null) CheckRectangular(tokenTypeIds, inputIds, "token_type_ids");
        if (attentionMask is not null) CheckRectangular(attentionMask, inputIds, "attention_mask");
        foreach (var (row, i) in inputIds.Select((r, i) => (r, i)))
            foreach (long id in row)
                if (id < 0 || id >= Config.VocabSize)
                    throw new ArgumentException($"input_ids[{i}] holds {id}, outside the vocabulary [0, {Config.VocabSize}).");
        // A segment id outside the token-type embedding would reach libtorch's index_select (an ExternalException, not bad data).
        foreach (var (row, i) in (tokenTypeIds ?? []).Select((r, i) => (r, i)))
            foreach (long type in row)
                if (type < 0 || type >= Config.TypeVocabSize)
                    throw new ArgumentException($"token_type_ids[{i}] holds {type}, outside [0, {Config.TypeVocabSize}) (type_vocab_size).");

        using var scope = NewDisposeScope();
        var ids = ToTensor(inputIds, width);
        var types = tokenTypeIds is null ? null : ToTensor(tokenTypeIds, width);
        var mask = attentionMask is null ? null : ToTensor(attentionMask, width);
        using var _ = no_grad();
        var hidden = Forward(ids, types, mask);
        var firstLogits = Model.MlmLogits(hidden.select(1, 0)).cpu();
        var hiddenCpu = hidden.cpu();
        var result = new EncoderOutput[inputIds.Length];
        for (int b = 0; b < inputIds.Length; b++)
        {
            var rows = new List<float[]>();
            for (int t = 0; t < width; t++)
                if (attentionMask is null || attentionMask[b][t] != 0) rows.Add(hiddenCpu[b, t].data<float>().ToArray());
            result[b] = new EncoderOutput(rows.ToArray(), firstLogits[b].data<float>().ToArray());
        }
        return result;
    }

    private Tensor ToTensor(long[][] rows, int width)
    {
        var flat = new long[rows.Length * width];
        for (int b = 0; b < rows.Length; b++) rows[b].CopyTo(flat, b * width);
        return tensor(flat, [rows.Length, width], ScalarType.Int64, Device);
    }

    private static int CheckRectangular(long[][] rows, long[][]? like, string name)
    {
        if (rows.Length == 0) throw new ArgumentException($"{name} is empty.");
        if (like is not null && rows.Length != like.Length)
            throw new ArgumentException($"{name} has {rows.Length} rows but input_ids has {like.Length}.");
        int width = like?[0].Length ?? rows[0].Length;
        for (int i = 0; i < rows.Length; i++)
            if (rows[i].Length != width)
                throw new ArgumentException($"{name}[{i}] has {rows[i].Length} entries; a padded batch needs {width} in every row.");
        if (width == 0) throw new ArgumentException($"{name} rows are empty.");
        return width;
    }

    public void Dispose() => Model.Dispose();
}
