using GauMLNet.Configuration;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Runtime;

/// <summary>Maps <see cref="InferencePrecision"/> to libtorch types.</summary>
public static class InferencePrecisionExtensions
{
    public static ScalarType ToScalarType(this InferencePrecision precision) => precision switch
    {
        InferencePrecision.Float32 => ScalarType.Float32,
        InferencePrecision.BFloat16 => ScalarType.BFloat16,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown inference precision."),
    };
}
