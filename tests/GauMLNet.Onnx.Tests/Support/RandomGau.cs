using GauMLNet.Configuration;
using GauMLNet.Storage;

namespace GauMLNet.Onnx.Tests.Support;

/// <summary>Random GAU-α weights by the port's names, for any config and head, from a seed.</summary>
public static class RandomGau
{
    public static GauAlphaConfig TinyConfig(string normalization = "softmax_plus", bool scale = true, bool bias = false, string act = "swish", int layers = 2) => new()
    {
        VocabSize = 50,
        HiddenSize = 32,
        EmbeddingSize = 32,
        IntermediateSize = 48,
        AttentionKeySize = 16,
        NumHiddenLayers = layers,
        Normalization = normalization,
        AttentionScale = scale,
        UseBias = bias,
        HiddenAct = act,
    };

    /// <summary>
    /// Encoder tensors with the gau_alpha_ prefix, plus head.classifier (<paramref name="headOutputs"/> × d) and a
    /// separate MLM decoder when asked.
    /// </summary>
    internal static Dictionary<string, RawTensor> Weights(GauAlphaConfig c, int seed, int headOutputs = 0, bool decoder = false)
    {
        var random = new Random(seed);
        var tensors = new Dictionary<string, RawTensor>(StringComparer.Ordinal);
        void Add(string name, double std, double mean, params long[] shape)
        {
            var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
            for (int i = 0; i < values.Length; i++) values[i] = (float)(mean + std * Normal(random));
            tensors[name] = RawTensor.FromFloat32(values, shape);
        }
        int d = c.HiddenSize, e = c.IntermediateSize, s = c.AttentionKeySize;
        Add("gau_alpha.embeddings.word_embeddings.weight", 1, 0, c.VocabSize, d);
        Add("gau_alpha.embeddings.token_type_embeddings.weight", 1, 0, c.TypeVocabSize, d);
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            string p = $"gau_alpha.encoder.layer.{i}.gau.";
            Add(p + "i_dense.weight", 1 / Math.Sqrt(d), 0, 2 * e + s, d);
            Add(p + "o_dense.weight", 1 / Math.Sqrt(e), 0, d, e);
            Add(p + "q_scaleoffset.weight", 0.2, 1, s);
            Add(p + "k_scaleoffset.weight", 0.2, 1, s);
            if (c.UseBias)
            {
                Add(p + "i_dense.bias", 0.1, 0, 2 * e + s);
                Add(p + "o_dense.bias", 0.1, 0, d);
                Add(p + "q_scaleoffset.bias", 0.1, 0, s);
                Add(p + "k_scaleoffset.bias", 0.1, 0, s);
            }
        }
        if (headOutputs > 0)
        {
            Add("head.classifier.weight", 1 / Math.Sqrt(d), 0, headOutputs, d);
            Add("head.classifier.bias", 0.1, 0, headOutputs);
        }
        if (decoder) Add(CheckpointFiles.DecoderWeightName, 1 / Math.Sqrt(d), 0, c.VocabSize, d);
        return tensors;
    }

    /// <summary>Padded inputs: rows of the given lengths (0: fully padded), random ids, segment 1 on the second half.</summary>
    public static (long[][] Ids, long[][] Types, long[][] Mask) Inputs(GauAlphaConfig c, int seed, int width, params int[] lengths)
    {
        var random = new Random(seed);
        var ids = new long[lengths.Length][];
        var types = new long[lengths.Length][];
        var mask = new long[lengths.Length][];
        for (int b = 0; b < lengths.Length; b++)
        {
            ids[b] = new long[width];
            types[b] = new long[width];
            mask[b] = new long[width];
            for (int t = 0; t < lengths[b]; t++)
            {
                ids[b][t] = random.Next(1, c.VocabSize);
                types[b][t] = t >= lengths[b] / 2 ? 1 : 0;
                mask[b][t] = 1;
            }
        }
        return (ids, types, mask);
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
