using GauMLNet.Engines;
using GauMLNet.Storage;
using GauMLNet.Tasks;

namespace GauMLNet.Onnx;

/// <summary>
/// The onnxruntime engine: scores a package from its <see cref="OnnxNames.ModelMember"/>, or exports its
/// model.safetensors in memory (fp32) when it has no ONNX member.
/// </summary>
public sealed class OnnxRuntimeEngineFactory : IGauEngineFactory
{
    public string Name => OnnxNames.EngineName;

    /// <summary>Applied to every session this factory opens, after GauMLNet's settings (see <see cref="OnnxRuntimeEngine"/>).</summary>
    public Action<Microsoft.ML.OnnxRuntime.SessionOptions>? ConfigureSession { get; init; }

    /// <summary>Each engine's <see cref="OnnxRuntimeEngine.TokensPerCall"/>.</summary>
    public int TokensPerCall { get; init; } = OnnxRuntimeEngine.DefaultTokensPerCall;

    public bool CanScore(GauModelPackage package) =>
        package.Members.ContainsKey(OnnxNames.ModelMember)
        || (package.Weights is not null && package.Spec.Task is GauTask.Classification or GauTask.Regression or GauTask.Embedding or GauTask.TokenClassification);

    public IGauInferenceEngine Create(GauModelPackage package, EngineOptions options)
    {
        byte[] model = package.Members.TryGetValue(OnnxNames.ModelMember, out var onnx) ? onnx
            : package.Weights is not null ? GauOnnxExporter.Export(package)
            : throw new InvalidOperationException($"{package.Source} has neither {OnnxNames.ModelMember} nor {CheckpointFiles.WeightsFile}: the onnxruntime engine cannot score it.");
        return new OnnxRuntimeEngine(model, options, configureSession: ConfigureSession) { TokensPerCall = TokensPerCall };
    }
}
