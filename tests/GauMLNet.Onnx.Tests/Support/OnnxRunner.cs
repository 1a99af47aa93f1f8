using Microsoft.ML.OnnxRuntime;

namespace GauMLNet.Onnx.Tests.Support;

/// <summary>Runs exported graphs on ONNX Runtime and returns every output.</summary>
public sealed class OnnxRunner : IDisposable
{
    public sealed record Tensor(float[] Values, long[] Shape);

    private readonly InferenceSession _session;

    public OnnxRunner(byte[] model, int threads = 1, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_ALL)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = level, IntraOpNumThreads = threads };
        _session = new InferenceSession(model, options);
    }

    public InferenceSession Session => _session;

    public static Dictionary<string, Tensor> RunOnce(byte[] model, long[][] ids, long[][] types, long[][] mask)
    {
        using var runner = new OnnxRunner(model);
        return runner.Run(ids, types, mask);
    }

    public Dictionary<string, Tensor> Run(long[][] ids, long[][] types, long[][] mask)
    {
        long[] shape = [ids.Length, ids[0].Length];
        using var i = OrtValue.CreateTensorValueFromMemory(ids.SelectMany(r => r).ToArray(), shape);
        using var t = OrtValue.CreateTensorValueFromMemory(types.SelectMany(r => r).ToArray(), shape);
        using var m = OrtValue.CreateTensorValueFromMemory(mask.SelectMany(r => r).ToArray(), shape);
        var names = _session.OutputNames.ToArray();
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, [OnnxNames.InputIds, OnnxNames.TokenTypeIds, OnnxNames.AttentionMask], [i, t, m], names);
        var result = new Dictionary<string, Tensor>();
        for (int k = 0; k < names.Length; k++)
            result[names[k]] = new Tensor(outputs[k].GetTensorDataAsSpan<float>().ToArray(), outputs[k].GetTensorTypeAndShape().Shape);
        return result;
    }

    public void Dispose() => _session.Dispose();
}
