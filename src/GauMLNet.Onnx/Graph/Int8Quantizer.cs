namespace GauMLNet.Onnx.Graph;

/// <summary>
/// Symmetric int8 weights for dynamic quantization: w ≈ scale · q, q ∈ [−127, 127], zero point 0, with one scale per
/// output channel (a column of the transposed weight) or one for the whole matrix.
/// </summary>
internal static class Int8Quantizer
{
    /// <param name="weight">the transposed weight [inputs, outputs], row-major</param>
    public static (sbyte[] Values, float[] Scales) Quantize(float[] weight, int inputs, int outputs, bool perChannel)
    {
        var maxAbs = new float[perChannel ? outputs : 1];
        for (int k = 0; k < inputs; k++)
            for (int n = 0; n < outputs; n++)
            {
                int channel = perChannel ? n : 0;
                maxAbs[channel] = Math.Max(maxAbs[channel], Math.Abs(weight[k * outputs + n]));
            }
        var scales = maxAbs.Select(m => m > 0 ? m / 127f : 1f).ToArray();
        var values = new sbyte[weight.Length];
        for (int k = 0; k < inputs; k++)
            for (int n = 0; n < outputs; n++)
            {
                float q = MathF.Round(weight[k * outputs + n] / scales[perChannel ? n : 0], MidpointRounding.ToEven);
                values[k * outputs + n] = (sbyte)Math.Clamp(q, -127f, 127f);
            }
        return (values, scales);
    }
}
