using System.Runtime.InteropServices;
using GauMLNet.Storage;

namespace GauMLNet.Onnx.Graph;

/// <summary>
/// A task network's tensors by the PyTorch port's names, read as fp32 with their shapes checked, so a checkpoint
/// that does not fit its config fails with the tensor's name instead of producing a broken graph.
/// </summary>
internal sealed class GauWeights(IReadOnlyDictionary<string, RawTensor> tensors, string source)
{
    public string Source { get; } = source;

    public bool Has(string name) => tensors.ContainsKey(name);

    /// <summary>The tensor's values, row-major, after checking that its shape is <paramref name="shape"/>.</summary>
    public float[] Read(string name, params long[] shape)
    {
        if (!tensors.TryGetValue(name, out var tensor))
            throw new InvalidDataException($"{Source}: tensor '{name}' is missing; the config calls for one of shape [{string.Join(", ", shape)}].");
        if (!tensor.Shape.SequenceEqual(shape))
            throw new InvalidDataException($"{Source}: tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}]; the config calls for [{string.Join(", ", shape)}].");
        return tensor.ToFloat32(name);
    }

    /// <summary>[rows, cols] → [cols, rows].</summary>
    public static float[] Transpose(float[] values, int rows, int cols)
    {
        var result = new float[values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                result[c * rows + r] = values[r * cols + c];
        return result;
    }

    public static byte[] ToBytes(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
