using GauMLNet.Cli.Failures;
using GauMLNet.Configuration;
using GauMLNet.Storage;

namespace GauMLNet.Cli.Commands;

/// <summary>Checks of argument values, made before any data is read; each failure names the argument.</summary>
internal static class Arguments
{
    public static int AtLeast(string name, int value, int minimum) =>
        value >= minimum ? value : throw new UsageException($"{name} must be at least {minimum}, got {value}.");

    public static long AtLeast(string name, long value, long minimum) =>
        value >= minimum ? value : throw new UsageException($"{name} must be at least {minimum}, got {value}.");

    public static double Positive(string name, double value) =>
        value > 0 && double.IsFinite(value) ? value : throw new UsageException($"{name} must be a positive number, got {value}.");

    public static double NotNegative(string name, double value) =>
        value >= 0 && double.IsFinite(value) ? value : throw new UsageException($"{name} must not be negative, got {value}.");

    public static string ExistingDirectory(string name, string path) =>
        Directory.Exists(path) ? path : throw new UsageException($"{name}: the folder {path} does not exist.");

    public static string ExistingFile(string name, string path) =>
        File.Exists(path) ? path : throw new UsageException($"{name}: the file {path} does not exist.");

    /// <summary>--config: a preset's name (tiny, small, base) or a config.json file of the architecture to train from scratch.</summary>
    public static GauAlphaConfig Config(string value)
    {
        if (value.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || File.Exists(value))
            return GauAlphaConfig.Load(ExistingFile("--config", value)); // a malformed file is an error naming it and the key
        try { return GauAlphaConfig.FromPreset(value); }
        catch (ArgumentException) { throw new UsageException($"--config: '{value}' is not a preset or a file; use tiny, small, base or a config.json."); }
    }

    /// <summary>--attention and --chunk-size applied to a from-scratch architecture (null: keep what it says).</summary>
    public static GauAlphaConfig Attention(GauAlphaConfig config, string? attention, int? chunkSize)
    {
        if (chunkSize is { } c) AtLeast("--chunk-size", c, 1);
        string? span = attention?.Trim().ToLowerInvariant() switch
        {
            null => config.Attention,
            "full" => null,
            "mixed-chunk" or "mixed_chunk" => "mixed_chunk",
            _ => throw new UsageException($"--attention: '{attention}' is not an attention; use full or mixed-chunk."),
        };
        if (chunkSize is not null && span != "mixed_chunk")
            throw new UsageException("--chunk-size needs --attention mixed-chunk: only mixed-chunk attention has chunks.");
        return (config with { Attention = span, ChunkSize = span == "mixed_chunk" ? chunkSize ?? config.ChunkSize : null }).Validate();
    }

    /// <summary>--attention and --chunk-size choose a from-scratch architecture: refused beside a --model checkpoint.</summary>
    public static void AttentionFromScratchOnly(string? model, string? attention, int? chunkSize)
    {
        if (model is not null && (attention is not null || chunkSize is not null))
            throw new UsageException("--attention and --chunk-size choose a from-scratch architecture; a --model checkpoint keeps the attention it was trained with.");
    }

    /// <summary>--pooling: first or mean (null: the trainer's default, the first token).</summary>
    public static SequencePooling? Pooling(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null => null,
        "first" or "cls" => SequencePooling.First,
        "mean" => SequencePooling.Mean,
        _ => throw new UsageException($"--pooling: '{value}' is not a pooling; use first or mean."),
    };

    /// <summary>auto, cpu, cuda or cuda:N — the syntax only; whether a GPU is there is known when the engine starts.</summary>
    public static string Device(string value)
    {
        string spec = value.Trim().ToLowerInvariant();
        bool valid = spec is "auto" or "cpu" or "cuda" || (spec.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(spec.AsSpan(5), out int index) && index >= 0);
        return valid ? value : throw new UsageException($"--device: '{value}' is not a device; use auto, cpu, cuda or cuda:N.");
    }

    public static InferencePrecision Precision(string name, string value)
    {
        try { return InferencePrecisionNames.Parse(value); }
        catch (ArgumentException) { throw new UsageException($"{name}: '{value}' is not a precision; use fp32 or bf16."); }
    }

    public static TrainingPrecision TrainingPrecision(string value)
    {
        try { return TrainingPrecisionNames.Parse(value); }
        catch (ArgumentException) { throw new UsageException($"--precision: '{value}' is not a training precision; use fp32 or bf16."); }
    }

    public static System.Text.Encoding Encoding(string? value)
    {
        try { return TextFiles.Resolve(value); }
        catch (ArgumentException ex) { throw new UsageException($"--encoding: {ex.Message}"); }
    }

    /// <summary>Command-line text must be valid UTF-8 (.NET replaces invalid bytes with U+FFFD; that is refused here).</summary>
    public static string Text(string name, string value)
    {
        try { return TextFiles.RequireValid(value, name); }
        catch (ArgumentException ex) { throw new UsageException(ex.Message); }
    }
}
