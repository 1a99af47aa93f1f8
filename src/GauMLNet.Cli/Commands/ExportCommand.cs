using System.CommandLine;
using GauMLNet.Cli.Failures;
using GauMLNet.Interop;
using GauMLNet.MLNet;
using GauMLNet.Onnx;
using GauMLNet.Storage;
using Microsoft.ML;

namespace GauMLNet.Cli.Commands;

/// <summary>
/// gau export: a trained model (output folder, model.zip or PyTorch-layout folder) or a checkpoint directory → ONNX
/// or PyTorch. ONNX: for a trained model model.onnx (encoder + task head), model.zip converted to score with ONNX Runtime
/// (no libtorch needed to serve it), and vocab.txt; for a checkpoint directory, model.onnx with the MLM head and vocab.txt.
/// PyTorch (--format pytorch): the folder interop/pytorch reads — config.json, model.safetensors, vocab.txt,
/// gaumlnet.json, manifest.json (<see cref="PyTorchLayout"/>).
/// </summary>
internal static class ExportCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = CommonOptions.RequiredPath("--model", "a training output folder (with model.zip), a model zip, a PyTorch-layout folder, or a checkpoint directory (config.json + model.safetensors)");
        var outputDir = CommonOptions.RequiredPath("--output", "the folder to write model.onnx (and, for a trained model, an ONNX Runtime model.zip) into, or the PyTorch-layout folder");
        var format = new Option<string>("--format") { Description = "onnx (default) or pytorch (config.json, model.safetensors, vocab.txt, gaumlnet.json; see interop/pytorch/README.md)", DefaultValueFactory = _ => "onnx" };
        var int8 = new Option<bool>("--int8") { Description = "dynamic int8 quantization of the large matrix multiplications (smaller and faster; see docs/onnx.md for its accuracy cost)" };
        var portable = new Option<bool>("--portable") { Description = "standard ONNX operators only (for ONNX hosts other than ONNX Runtime); slower on ONNX Runtime" };
        var command = new Command("export", "Export a trained model or a checkpoint to ONNX (and a model.zip that scores with ONNX Runtime), or to PyTorch's layout.") { model, outputDir, format, int8, portable };
        command.SetAction(r => CommandGuard.Run(r, error, () =>
        {
            string source = r.GetValue(model)!, outDir = r.GetValue(outputDir)!;
            switch (r.GetValue(format)?.Trim().ToLowerInvariant())
            {
                case "pytorch":
                    if (r.GetValue(int8) || r.GetValue(portable)) throw new UsageException("--int8 and --portable are ONNX options; a PyTorch export keeps the fp32 weights.");
                    return ToPyTorch(source, outDir, output);
                case "onnx":
                    break;
                default:
                    throw new UsageException($"--format: '{r.GetValue(format)}' is not a format; use onnx or pytorch.");
            }
            var options = new OnnxExportOptions
            {
                Quantization = r.GetValue(int8) ? OnnxQuantization.DynamicInt8 : OnnxQuantization.None,
                UseOnnxRuntimeOperators = !r.GetValue(portable),
            };
            Directory.CreateDirectory(outDir);
            string onnxPath = Path.Combine(outDir, OnnxNames.ModelMember);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            if (Directory.Exists(source) && File.Exists(CheckpointFiles.ConfigPath(source)) && !IsFittedPyTorchExport(source))
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
            if (gau[0].Models.Count > 1)
                throw new InvalidDataException($"--model: {source} averages {gau[0].Models.Count} networks; export writes one network's graph (the model.zip scores them all as it is).");
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

    private static bool IsFittedPyTorchExport(string directory) =>
        PyTorchLayout.Holds(directory) && PyTorchLayout.ReadDescription(directory).Spec is not null;

    // A fitted model (model.zip, its folder, or a PyTorch export) or a checkpoint directory → the PyTorch layout.
    private static int ToPyTorch(string source, string outDir, TextWriter output)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (Directory.Exists(source) && File.Exists(CheckpointFiles.ConfigPath(source)) && !IsFittedPyTorchExport(source))
        {
            PyTorchLayout.WriteCheckpoint(source, outDir);
            output.WriteLine($"exported the checkpoint {source} (MLM head) to the PyTorch layout in {clock.Elapsed.TotalSeconds:F1} s: wrote {outDir}");
            return 0;
        }
        PyTorchModelDescription description;
        if (Directory.Exists(source) && PyTorchLayout.Holds(source))
            description = PyTorchLayout.Write(PyTorchLayout.ReadPackage(source), outDir); // files to files: no engine needed
        else
        {
            var ml = new MLContext();
            description = ml.Model.ExportToPyTorch(TrainingRun.LoadModel(ml, source), outDir);
        }
        output.WriteLine($"exported the {description.Task} model (head {string.Join(", ", description.HeadParameters)}) to the PyTorch layout " +
                         $"in {clock.Elapsed.TotalSeconds:F1} s: wrote {outDir} (config.json, model.safetensors, vocab.txt, gaumlnet.json, manifest.json)");
        return 0;
    }

    private static string Kind(OnnxExportOptions options) =>
        $"{(options.Quantization == OnnxQuantization.DynamicInt8 ? "int8" : "fp32")}, opset {GauOnnxExporter.Opset}{(options.UseOnnxRuntimeOperators ? " + ONNX Runtime operators" : "")}";
}
