using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using GauMLNet.Cli.Failures;
using GauMLNet.Storage;
using GauMLNet.TorchSharp;

namespace GauMLNet.Cli.Commands;

/// <summary>
/// gau encode: run a checkpoint on a padded batch of token ids and write the hidden states of the
/// real tokens and the MLM logits at position 0 — the format reference implementations emit, so a
/// converted checkpoint can be checked against them.
/// </summary>
internal static class EncodeCommand
{
    private sealed record Outputs(
        [property: JsonPropertyName("last_hidden_state")] float[][][] LastHiddenState,
        [property: JsonPropertyName("mlm_logits_first_token")] float[][] MlmLogitsFirstToken);

    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = CommonOptions.RequiredPath("--model", "checkpoint directory (config.json + model.safetensors)");
        var input = CommonOptions.RequiredPath("--input", "JSON with input_ids, token_type_ids and attention_mask (padded batch; mask 1 = real token)");
        var outputPath = CommonOptions.RequiredPath("--output", "JSON file to write last_hidden_state and mlm_logits_first_token to");
        var device = CommonOptions.Device();
        var compare = new Option<string?>("--compare") { Description = "a reference output in the same format: report the largest differences, exit 2 above --tolerance" };
        var tolerance = new Option<double>("--tolerance") { Description = "largest acceptable |difference| for --compare", DefaultValueFactory = _ => 1e-4 };
        var command = new Command("encode", "Encode a padded batch of token ids with a GAU-α checkpoint.") { model, input, outputPath, device, compare, tolerance };
        command.SetAction(result => CommandGuard.Run(result, error, () =>
            Run(result.GetValue(model)!, result.GetValue(input)!, result.GetValue(outputPath)!, result.GetValue(device)!,
                result.GetValue(compare), result.GetValue(tolerance), output)));
        return command;
    }

    private static int Run(string modelDir, string inputPath, string outputPath, string device, string? comparePath, double tolerance, TextWriter output)
    {
        var inputs = EncodeFiles.ReadInputs(inputPath);
        // The reference is read before the model runs, so a broken one fails fast and writes nothing.
        var reference = comparePath is null ? null : EncodeFiles.ReadReference(comparePath);

        using var encoder = GauAlphaEncoder.Load(modelDir, device);
        var encoded = EncodeFiles.Encode(encoder, inputs, inputPath);
        var result = new Outputs(encoded.Select(e => e.LastHiddenState).ToArray(), encoded.Select(e => e.MlmLogitsFirstToken).ToArray());
        AtomicFile.Write(outputPath, s => JsonSerializer.Serialize(s, result));
        output.WriteLine($"encoded {encoded.Length} sequence(s) on {encoder.Device.type.ToString().ToLowerInvariant()}; wrote {outputPath}");
        if (reference is null) return 0;

        var (hidden, logits) = EncodeFiles.Compare(encoded, reference, comparePath!);
        bool within = hidden <= tolerance && logits <= tolerance;
        output.WriteLine($"max |Δ| vs {comparePath}: last_hidden_state {hidden:E2}, mlm_logits_first_token {logits:E2} " +
            (within ? $"(within {tolerance:G})" : $"(ABOVE tolerance {tolerance:G})"));
        return within ? 0 : ExitCodes.ComparisonMismatch;
    }
}
