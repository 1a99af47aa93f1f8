using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Checkpoints;

/// <summary>Copies named tensors into a module's parameters after checking every name and shape.</summary>
public static class StateDictLoader
{
    /// <param name="ignore">names in the file that are known not to belong to this module (they are neither loaded nor reported)</param>
    public static void Load(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, string source, Func<string, bool>? ignore = null)
    {
        var target = module.state_dict();
        var missing = target.Keys.Where(k => !tensors.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var unexpected = tensors.Keys.Where(k => !target.ContainsKey(k) && !(ignore?.Invoke(k) ?? false)).Order(StringComparer.Ordinal).ToList();
        var misShaped = target.Where(kv => tensors.TryGetValue(kv.Key, out var t) && !t.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key} is [{string.Join(", ", tensors[kv.Key].shape)}] in the file, [{string.Join(", ", kv.Value.shape)}] in the model")
            .Order(StringComparer.Ordinal).ToList();
        if (missing.Count + unexpected.Count + misShaped.Count > 0)
            throw new CheckpointMismatchException(source, missing, unexpected, misShaped);

        using var _ = no_grad();
        foreach (var (name, destination) in target)
        {
            // Held (and released) explicitly: a temporary could be finalized, its native tensor freed, during copy_.
            var converted = tensors[name].to(destination.dtype, destination.device);
            destination.copy_(converted);
            if (!ReferenceEquals(converted, tensors[name])) converted.Dispose();
        }
    }

    /// <summary>Loads a safetensors file into a module (every name and shape checked), releasing the file's tensors afterwards.</summary>
    /// <param name="source">how errors name the file (default: its path)</param>
    public static void LoadFile(nn.Module module, string path, string? source = null)
    {
        using var stream = File.OpenRead(path);
        LoadStream(module, stream, source ?? path);
    }

    /// <summary>Loads safetensors bytes from a seekable stream into a module.</summary>
    public static void LoadStream(nn.Module module, Stream stream, string source)
    {
        var tensors = SafeTensors.Load(stream, source, out _);
        try { Load(module, tensors, source); }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }
}
