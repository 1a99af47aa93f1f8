using System.CommandLine;
using GauMLNet.Clue;
using GauMLNet.Onnx;
using GauMLNet.Storage;
using Microsoft.ML;

namespace GauMLNet.Cli.Commands;

/// <summary>
/// gau export: a trained model (output folder or model.zip) or a checkpoint directory → ONNX. For a trained model it
/// writes model.onnx (encoder + task head), model.zip converted to score with ONNX Runtime (no libtorch needed to
/// serve it), and vocab.txt; for a checkpoint directory, model.onnx with the MLM head and vocab.txt.
/// </summary>
internal static class ExportCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = CommonOptions.RequiredPath("--model", "a training output folder (with model.zip), a model zip, or a checkpoint directory (config.json + model.safetensors)");
        var outputDir = CommonOptions.RequiredPath("--output", "the folder to write model.onnx (and, for a trained model, an ONNX Runtime model.zip) into");
        var int8 = new Option<bool>("--int8") { Description = "dynamic int8 quantization of the large matrix multiplications (smaller and faster; see the README for its accuracy cost)" };
        var portable = new Option<bool>("--portable") { Description = "standard ONNX operators only (for ONNX hosts other than ONNX Runtime); slower on ONNX Runtime" };
        var command = new Command("export", "Export a trained model or a checkpoint to ONNX, and a model.zip that scores with ONNX Runtime.") { model, outputDir, int8, portable };
        command.SetAction(r => GauCli.Guard(r, error, () =>
        {
            string source = r.GetValue(model)!, outDir = r.GetValue(outputDir)!;
            var options = new OnnxExportOptions
            {
                Quantization = r.GetValue(int8) ? OnnxQuantization.DynamicInt8 : OnnxQuantization.None,
                UseOnnxRuntimeOperators = !r.GetValue(portable),
            };
            Directory.CreateDirectory(outDir);
            string onnxPath = Path.Combine(outDir, OnnxNames.ModelMember);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            if (Directory.Exists(source) && File.Exists(CheckpointFiles.ConfigPath(source)))
            {
                byte[] graph = GauOnnxExporter.Export(source, options);
                AtomicFile.Write(onnxPath, s => s.Write(graph));
                AtomicFile.WriteAllText(CheckpointFiles.VocabPath(outDir), CheckpointFiles.ReadVocab(source));
                output.WriteLine($"exported the checkpoint {source} with its MLM head ({graph.Length / 1e6:F1} MB, {Kind(options)}) in {clock.Elapsed.TotalSeconds:F1} s: wrote {onnxPath}, vocab.txt");
                return 0;
            }
            var ml = new MLContext();
            var trained = TrainingRun.LoadModel(ml, source, out var schema);
            var gau = CluePipeline.GauTransformers(trained).ToList();
            if (gau.Count != 1) throw new InvalidDataException($"--model: {source} holds {gau.Count} GAU transformers; export needs exactly one.");
            gau[0].ExportToOnnx(onnxPath, options);
            AtomicFile.WriteAllText(CheckpointFiles.VocabPath(outDir), gau[0].Model.Package.VocabText);
            string zip = Path.Combine(outDir, TrainingRun.ModelFile);
            TrainingRun.SaveModelAtomically(ml, trained.ToOnnxRuntime(options), schema, zip);
            output.WriteLine($"exported the {gau[0].Model.Spec.Task.ToString().ToLowerInvariant()} model ({new FileInfo(onnxPath).Length / 1e6:F1} MB, {Kind(options)}) " +
                             $"in {clock.Elapsed.TotalSeconds:F1} s: wrote {onnxPath}, {zip} (scores with ONNX Runtime), vocab.txt");
            return 0;
        }));
        return command;
    }

    private static string Kind(OnnxExportOptions options) =>
        $"{(options.Quantization == OnnxQuantization.DynamicInt8 ? "int8" : "fp32")}, opset {GauOnnxExporter.Opset}{(options.UseOnnxRuntimeOperators ? " + ONNX Runtime operators" : "")}";
}
