using GauMLNet.Storage;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Checkpoints;

/// <summary>safetensors files as libtorch tensors, over the byte-level <see cref="SafeTensorsFile"/>.</summary>
public static class SafeTensors
{
    /// <summary>Reads every tensor onto the CPU in its stored dtype.</summary>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, out _);

    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata)
    {
        using var stream = File.OpenRead(path);
        return Load(stream, path, out metadata);
    }

    /// <summary>Reads every tensor from a seekable stream; <paramref name="source"/> names it in errors.</summary>
    public static Dictionary<string, Tensor> Load(Stream stream, string source, out Dictionary<string, string> metadata) =>
        SafeTensorsFile.Read(stream, source, out metadata).ToDictionary(kv => kv.Key, kv => ToTensor(kv.Value), StringComparer.Ordinal);

    /// <summary>A CPU tensor holding a copy of the raw tensor's bytes.</summary>
    internal static Tensor ToTensor(RawTensor raw)
    {
        var tensor = empty(raw.Shape, TensorDType.ScalarTypeOf(raw.DType));
        if (raw.Data.Length > 0) tensor.bytes = raw.Data;
        return tensor;
    }

    /// <summary>The tensor's bytes, converted to <paramref name="dtype"/> first when it is floating point.</summary>
    internal static RawTensor ToRaw(Tensor tensor, ScalarType dtype = ScalarType.Float32)
    {
        using var _ = NewDisposeScope();
        var stored = tensor.detach().cpu();
        if (stored.is_floating_point()) stored = stored.to(dtype);
        return new RawTensor(TensorDType.Code(stored.dtype), stored.shape, stored.contiguous().bytes.ToArray());
    }

    /// <summary>Writes tensors (converted to <paramref name="dtype"/> when floating point) atomically.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, ScalarType dtype = ScalarType.Float32,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var raw = ToRaw(tensors, dtype); // converts every tensor before the file is touched
        AtomicFile.Write(path, s => SafeTensorsFile.Write(s, raw, metadata));
    }

    /// <summary>The safetensors bytes of these tensors.</summary>
    public static byte[] ToBytes(IEnumerable<KeyValuePair<string, Tensor>> tensors, ScalarType dtype = ScalarType.Float32,
        IReadOnlyDictionary<string, string>? metadata = null) => SafeTensorsFile.ToBytes(ToRaw(tensors, dtype), metadata);

    private static List<KeyValuePair<string, RawTensor>> ToRaw(IEnumerable<KeyValuePair<string, Tensor>> tensors, ScalarType dtype)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentException($"Checkpoints are written as F32, F16 or BF16, not {dtype}.", nameof(dtype));
        return tensors.Select(kv => KeyValuePair.Create(kv.Key, ToRaw(kv.Value, dtype))).ToList();
    }
}
