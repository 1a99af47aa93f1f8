using System.Reflection;
using GauMLNet.Configuration;
using GauMLNet.Onnx.Graph;
using GauMLNet.Onnx.Protos;
using GauMLNet.Storage;
using GauMLNet.Tasks;
using Google.Protobuf;

namespace GauMLNet.Onnx;

/// <summary>
/// Exports a GAU-α network — encoder and task head — to one ONNX graph, from its safetensors weights (no TorchSharp).
/// Inputs <c>input_ids</c>, <c>token_type_ids</c>, <c>attention_mask</c>: int64 [batch, sequence], both axes symbolic;
/// outputs as the head names them (<see cref="OnnxNames"/>). Weights are initializers, pre-transposed for MatMul.
/// </summary>
public static class GauOnnxExporter
{
    /// <summary>
    /// The ai.onnx operator set: 17. Every operator the graph uses has had its current form since opset ≤ 17, and
    /// it is the newest opset that ONNX Runtime's graph optimizer has matched longest in its fusions (MatMul+Transpose,
    /// Gelu, quantized MatMul); later opsets add nothing this graph needs (RMSNormalization and Attention of opset 23 are
    /// covered by ONNX Runtime's own fused operators, which are faster on CPU).
    /// </summary>
    public const int Opset = 17;

    /// <summary>The IR version that goes with opset 17.</summary>
    public const int IrVersion = 8;

    /// <summary>A fitted model's network (its task head from gau-task.json) as ONNX bytes.</summary>
    public static byte[] Export(GauModelPackage package, OnnxExportOptions? options = null)
    {
        var weights = package.Weights ?? throw new InvalidOperationException($"{package.Source} holds no {CheckpointFiles.WeightsFile} to export.");
        return Export(package.Config, SafeTensorsFile.Read(weights, $"{package.Source}/{CheckpointFiles.WeightsFile}"), GauOnnxHead.For(package.Spec), options, package.Source);
    }

    /// <summary>A checkpoint directory (config.json + model.safetensors) with its MLM head: last_hidden_state and mlm_logits.</summary>
    public static byte[] Export(string checkpointDirectory, OnnxExportOptions? options = null) =>
        Export(checkpointDirectory, GauOnnxHead.MaskedLanguageModel(), options);

    /// <summary>A checkpoint directory's encoder with any head whose weights it carries.</summary>
    public static byte[] Export(string checkpointDirectory, GauOnnxHead head, OnnxExportOptions? options = null)
    {
        var config = CheckpointFiles.LoadConfig(checkpointDirectory);
        string path = CheckpointFiles.RequireWeights(checkpointDirectory);
        return Export(config, SafeTensorsFile.Read(path), head, options, path);
    }

    /// <summary>The general form: a config, tensors by the port's names, and a head.</summary>
    internal static byte[] Export(GauAlphaConfig config, IReadOnlyDictionary<string, RawTensor> tensors, GauOnnxHead head,
        OnnxExportOptions? options = null, string source = "weights") =>
        BuildModel(config, tensors, head, options ?? new OnnxExportOptions(), source).ToByteArray();

    /// <summary>Writes the export to a file.</summary>
    public static void Export(GauModelPackage package, string path, OnnxExportOptions? options = null) =>
        AtomicFile.Write(path, s => s.Write(Export(package, options)));

    /// <summary>
    /// The package with its network exported as <see cref="OnnxNames.ModelMember"/> (weights kept), scoring with ONNX
    /// Runtime when <paramref name="scoreWithOnnxRuntime"/>.
    /// </summary>
    public static GauModelPackage AddTo(GauModelPackage package, OnnxExportOptions? options = null, bool scoreWithOnnxRuntime = true) =>
        package.With(scoreWithOnnxRuntime ? package.Spec with { Engine = OnnxNames.EngineName } : package.Spec,
            new Dictionary<string, byte[]> { [OnnxNames.ModelMember] = Export(package, options) });

    internal static ModelProto BuildModel(GauAlphaConfig config, IReadOnlyDictionary<string, RawTensor> tensors, GauOnnxHead head,
        OnnxExportOptions options, string source)
    {
        var settings = new GraphSettings(options.UseOnnxRuntimeOperators, options.Quantization == OnnxQuantization.DynamicInt8, options.PerChannelScales,
            options.FusedAttention, options.SeparateProjections, options.MaskFill);
        var writer = new GauGraphWriter(config, new GauWeights(tensors, source), settings);
        writer.WriteEncoder();
        head.Write(writer);

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "GauMLNet",
            ProducerVersion = typeof(GauOnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0",
            Graph = writer.Builder.Graph,
            DocString = $"GAU-α encoder ({config.NumHiddenLayers} layers, d {config.HiddenSize}, e {config.IntermediateSize}, s {config.AttentionKeySize}, {config.Normalization}) with a {head.Kind} head.",
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxDomains.Onnx, Version = Opset });
        if (options.UseOnnxRuntimeOperators) model.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxDomains.Microsoft, Version = 1 });
        if (options.WriteMetadata)
        {
            void Meta(string key, string value) => model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
            Meta(OnnxNames.HeadKey, head.Kind);
            Meta(OnnxNames.RawOutputKey, head.RawOutput);
            Meta(OnnxNames.QuantizationKey, options.Quantization == OnnxQuantization.DynamicInt8 ? "dynamic_int8" : "none");
            Meta(OnnxNames.ConfigKey, config.ToJson());
        }
        return model;
    }
}
