using System.Buffers.Binary;

namespace GauMLNet.Storage;

/// <summary>A tensor as stored: its safetensors dtype code (F32, BF16, I64, …), shape, and little-endian bytes.</summary>
internal sealed record RawTensor(string DType, long[] Shape, byte[] Data)
{
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>The values as fp32 (F32, F16, BF16 and F64 are converted; other dtypes are refused).</summary>
    public float[] ToFloat32(string name = "tensor")
    {
        var values = new float[ElementCount];
        var bytes = Data.AsSpan();
        switch (DType)
        {
            case "F32":
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
            case "F64":
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
                break;
            case "F16":
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                break;
            case "BF16":
                for (int i = 0; i < values.Length; i++) values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16);
                break;
            default:
                throw new InvalidDataException($"{name} is {DType}; a floating-point tensor is expected.");
        }
        return values;
    }

    /// <summary>An F32 tensor of these values.</summary>
    public static RawTensor FromFloat32(float[] values, params long[] shape)
    {
        long count = shape.Aggregate(1L, (a, d) => a * d);
        if (count != values.Length) throw new ArgumentException($"{values.Length} values do not fill a tensor of shape [{string.Join(", ", shape)}].", nameof(values));
        var data = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), values[i]);
        return new RawTensor("F32", shape, data);
    }
}
