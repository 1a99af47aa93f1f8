using System.CommandLine;
using GauMLNet.Cli.Failures;
using GauMLNet.TorchSharp.Checkpoints;

namespace GauMLNet.Cli.Commands;

/// <summary>gau convert and gau inspect: released GAU-α weights (bert4keras TF checkpoint or PyTorch .bin) → a checkpoint directory.</summary>
internal static class ConvertCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var from = CommonOptions.RequiredPath("--from", "a TF checkpoint (prefix, .index, or its folder) or a pytorch_model.bin (or its folder)");
        var vocab = CommonOptions.RequiredPath("--vocab", "the model's vocab.txt");
        var config = new Option<string?>("--config") { Description = "config.json in the PyTorch port's keys (default: beside --from, else inferred from the TF shapes)" };
        var outputDir = CommonOptions.RequiredPath("--output", "the checkpoint directory to write");
        var command = new Command("convert", "Convert released GAU-α weights into a checkpoint directory (config.json + model.safetensors + vocab.txt).")
        {
            from, vocab, config, outputDir,
        };
        command.SetAction(r => CommandGuard.Run(r, error, () =>
        {
            var report = CheckpointConverter.Convert(r.GetValue(from)!, r.GetValue(vocab)!, r.GetValue(config), r.GetValue(outputDir)!);
            output.WriteLine($"read a {report.SourceFormat} checkpoint: {report.TensorsLoaded} tensors into a {report.Config.NumHiddenLayers}-layer GAU-α " +
                             $"(d {report.Config.HiddenSize}, e {report.Config.IntermediateSize}, s {report.Config.AttentionKeySize}, vocab {report.Config.VocabSize})");
            if (report.Ignored.Count > 0)
                output.WriteLine($"ignored {report.Ignored.Count} variable(s) the encoder does not use: {string.Join(", ", report.Ignored.Take(12))}{(report.Ignored.Count > 12 ? ", …" : "")}");
            output.WriteLine($"wrote {report.OutputDirectory}");
            return 0;
        }));
        return command;
    }

    public static Command CreateInspect(TextWriter output, TextWriter error)
    {
        var file = new Argument<string>("file") { Description = "a checkpoint: .safetensors, pytorch_model.bin, or a TF checkpoint prefix/.index" };
        var command = new Command("inspect", "List the names, dtypes and shapes of a checkpoint's tensors.") { file };
        command.SetAction(r => CommandGuard.Run(r, error, () =>
        {
            var tensors = CheckpointConverter.Inspect(r.GetValue(file)!);
            foreach (var (name, dtype, shape) in tensors) output.WriteLine($"{name}\t{dtype}\t[{string.Join(", ", shape)}]");
            output.WriteLine($"{tensors.Count} tensors");
            return 0;
        }));
        return command;
    }
}
