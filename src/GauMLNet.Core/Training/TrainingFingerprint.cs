using System.Globalization;
using System.Security.Cryptography;
using GauMLNet.Configuration;

namespace GauMLNet.Training;

/// <summary>
/// What shaped a training run — the architecture, the arguments that change the trajectory, the data and the
/// initial weights — as named entries. A checkpoint stores it; resuming with a different one is refused with
/// the differences named, never silently continued into a different model.
/// </summary>
internal sealed class TrainingFingerprint
{
    private readonly SortedDictionary<string, string> _entries = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Entries => _entries;

    public TrainingFingerprint Add(string name, object? value)
    {
        _entries[name] = value switch
        {
            null => "none",
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            float f => f.ToString("R", CultureInfo.InvariantCulture),
            IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "none",
        };
        return this;
    }

    /// <summary>The architecture, less settings that change memory or speed but not the numbers (gradient checkpointing).</summary>
    public TrainingFingerprint AddConfig(GauAlphaConfig config) =>
        Add("config", Hash(System.Text.Encoding.UTF8.GetBytes((config with { GradientCheckpointing = false }).ToJson())));

    /// <summary>The tokenized rows and labels (token tags and entity spans included), in order.</summary>
    public TrainingFingerprint AddData(string name, IReadOnlyList<LabeledExample>? rows)
    {
        if (rows is null) return Add(name, "none");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[4];
        foreach (var row in rows)
        {
            foreach (int id in row.Text.Ids) { BitConverter.TryWriteBytes(number, id); hash.AppendData(number); }
            foreach (int type in row.Text.TypeIds) { BitConverter.TryWriteBytes(number, type); hash.AppendData(number); }
            BitConverter.TryWriteBytes(number, row.Label);
            hash.AppendData(number);
            if (row.Tokens is { } tokens) // token classification: Label is unused, the targets are these
            {
                foreach (int tag in tokens.Tags) { BitConverter.TryWriteBytes(number, tag); hash.AppendData(number); }
                foreach (var (first, last, type) in tokens.Spans)
                    foreach (int value in (int[])[first, last, type]) { BitConverter.TryWriteBytes(number, value); hash.AppendData(number); }
            }
            BitConverter.TryWriteBytes(number, -1); // row separator
            hash.AppendData(number);
        }
        return Add(name, $"{rows.Count} rows, sha256 {Convert.ToHexStringLower(hash.GetHashAndReset())[..16]}");
    }

    public TrainingFingerprint AddAll(IReadOnlyDictionary<string, string>? entries)
    {
        foreach (var (name, value) in entries ?? new Dictionary<string, string>()) _entries[name] = value;
        return this;
    }

    public static string Hash(byte[] bytes) => "sha256 " + Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];

    /// <summary>Entries added after checkpoints were first written, with the value every older checkpoint implies.</summary>
    private static readonly Dictionary<string, string> ImpliedByOlderCheckpoints = new(StringComparer.Ordinal)
    {
        ["precision"] = "fp32", // training was fp32 before bf16 mixed precision existed
        ["pooling"] = "First", // classifiers' default, the only pooling the CLI chose before --pooling
        ["max_span_length"] = "1", // pretraining masked words one by one before span masking
        ["weight_average_decay"] = "none", // fine-tuning kept no weight average before it could
    };

    /// <summary>Throws naming every entry that differs between a checkpoint's fingerprint and this run's.</summary>
    public void RequireSame(IReadOnlyDictionary<string, string> saved, string checkpoint)
    {
        string? Saved(string key) => saved.GetValueOrDefault(key) ?? ImpliedByOlderCheckpoints.GetValueOrDefault(key);
        var differences = saved.Keys.Union(_entries.Keys).Order(StringComparer.Ordinal)
            .Where(k => Saved(k) != _entries.GetValueOrDefault(k))
            .Select(k => $"{k}: checkpoint {Saved(k) ?? "(absent)"}, this run {_entries.GetValueOrDefault(k) ?? "(absent)"}")
            .ToList();
        if (differences.Count > 0) throw new CheckpointFingerprintException(checkpoint, differences);
    }
}
