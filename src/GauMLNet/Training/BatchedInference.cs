using GauMLNet.Text;
using static TorchSharp.torch;

namespace GauMLNet.Training;

/// <summary>
/// Runs a model over many rows in length-sorted batches (padding per batch), with no autograd graph,
/// and returns one float vector per row in the original order.
/// </summary>
public static class BatchedInference
{
    /// <param name="forward">a padded batch → [b, k] floats on any device</param>
    public static float[][] Run(IReadOnlyList<EncodedText> rows, int batchSize, int padId, Device device, Func<TensorBatch, Tensor> forward) =>
        Run(rows, batchSize, padId, device, forward, out _);

    /// <param name="forwardPasses">how many batches the model ran</param>
    public static float[][] Run(IReadOnlyList<EncodedText> rows, int batchSize, int padId, Device device, Func<TensorBatch, Tensor> forward, out int forwardPasses)
    {
        var results = new float[rows.Count][];
        forwardPasses = 0;
        using var _ = no_grad();
        foreach (var indices in LengthBuckets.ForInference(rows.Select(r => r.Length).ToArray(), batchSize))
        {
            using var scope = NewDisposeScope();
            using var batch = TensorBatch.Collate(indices.Select(i => rows[i]).ToArray(), padId, device);
            var output = forward(batch).to(ScalarType.Float32).cpu().contiguous();
            forwardPasses++;
            int width = (int)output.shape[1];
            var flat = output.data<float>().ToArray();
            for (int b = 0; b < indices.Length; b++) results[indices[b]] = flat.AsSpan(b * width, width).ToArray();
        }
        return results;
    }
}
