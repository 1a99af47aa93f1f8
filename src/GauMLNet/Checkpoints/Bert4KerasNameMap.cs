using System.Text.RegularExpressions;
using GauMLNet.Configuration;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Checkpoints;

/// <summary>
/// Maps the released bert4keras GAU-α variables to the PyTorch port's names, by name and shape (never by
/// position: bert4keras changed its weight order between 0.11.3 and 0.11.4). Keras dense kernels are
/// [in, out] and become [out, in]. Optimizer slots and other variables are reported as ignored.
/// </summary>
internal static partial class Bert4KerasNameMap
{
    public sealed record Mapping(Dictionary<string, Tensor> Tensors, IReadOnlyList<string> Ignored);

    [GeneratedRegex(@"^GAU_alpha/encoder/layer_(\d+)/gau/(i_dense/kernel|o_dense/kernel|q_scaleoffset/gamma|k_scaleoffset/gamma|q_scaleoffset/beta|k_scaleoffset/beta)$")]
    private static partial Regex LayerVariable();

    public static bool LooksLikeGauAlpha(IEnumerable<string> names) => names.Any(n => LayerVariable().IsMatch(n));

    /// <summary>Infers the architecture from the variables' shapes (the released base model's other settings).</summary>
    public static GauAlphaConfig InferConfig(IReadOnlyDictionary<string, long[]> shapes)
    {
        long[] Shape(string name) => shapes.TryGetValue(name, out var s) ? s : throw new InvalidDataException($"the checkpoint has no '{name}'.");
        var words = Shape("bert/embeddings/word_embeddings");
        var segments = Shape("bert/embeddings/token_type_embeddings");
        var iDense = Shape("GAU_alpha/encoder/layer_0/gau/i_dense/kernel");
        var oDense = Shape("GAU_alpha/encoder/layer_0/gau/o_dense/kernel");
        int layers = shapes.Keys.Select(n => LayerVariable().Match(n)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).Max() + 1;
        int e = (int)oDense[0], d = (int)words[1];
        return new GauAlphaConfig
        {
            VocabSize = (int)words[0],
            HiddenSize = d,
            EmbeddingSize = d,
            TypeVocabSize = (int)segments[0],
            IntermediateSize = e,
            AttentionKeySize = (int)iDense[1] - 2 * e,
            NumHiddenLayers = layers,
            UseBias = shapes.ContainsKey("GAU_alpha/encoder/layer_0/gau/q_scaleoffset/beta"),
        }.Validate();
    }

    /// <summary>Renames (and transposes) the variables the encoder needs; takes ownership of the tensors it keeps.</summary>
    public static Mapping Map(IReadOnlyDictionary<string, Tensor> variables)
    {
        var mapped = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var ignored = new List<string>();
        foreach (var (name, tensor) in variables.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            string? target = name switch
            {
                "bert/embeddings/word_embeddings" => "gau_alpha.embeddings.word_embeddings.weight",
                "bert/embeddings/token_type_embeddings" => "gau_alpha.embeddings.token_type_embeddings.weight",
                _ => null,
            };
            bool transpose = false;
            if (target is null && LayerVariable().Match(name) is { Success: true } m)
            {
                string layer = $"gau_alpha.encoder.layer.{m.Groups[1].Value}.gau.";
                (target, transpose) = m.Groups[2].Value switch
                {
                    "i_dense/kernel" => (layer + "i_dense.weight", true),
                    "o_dense/kernel" => (layer + "o_dense.weight", true),
                    "q_scaleoffset/gamma" => (layer + "q_scaleoffset.weight", false),
                    "k_scaleoffset/gamma" => (layer + "k_scaleoffset.weight", false),
                    "q_scaleoffset/beta" => (layer + "q_scaleoffset.bias", false),
                    _ => (layer + "k_scaleoffset.bias", false),
                };
            }
            if (target is null)
            {
                ignored.Add(name);
                continue;
            }
            if (transpose && tensor.dim() != 2) throw new InvalidDataException($"'{name}' should be a matrix, got [{string.Join(", ", tensor.shape)}].");
            if (!transpose)
            {
                mapped[target] = tensor;
                continue;
            }
            using var transposed = tensor.t(); // held until the copy is made
            mapped[target] = transposed.contiguous();
        }
        return new Mapping(mapped, ignored);
    }
}
