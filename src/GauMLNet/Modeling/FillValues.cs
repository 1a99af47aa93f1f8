using TorchSharp;

namespace GauMLNet.Modeling;

/// <summary>
/// The constants that masking fills with, held for the life of the process. A <see cref="Scalar"/> made implicitly from a
/// number for one call is unreachable once its handle has been passed, so its finalizer can free the native value while
/// libtorch still reads it in a long op: a GlobalPointer loss on CLUENER failed that way mid-training, libtorch's
/// Scalar::toFloat check seeing a freed value. Static instances are never finalized.
/// </summary>
internal static class FillValues
{
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
    public static readonly Scalar Zero = 0.0.ToScalar();
    /// <summary>cross_entropy's ignore_index for positions without a tag.</summary>
    public static readonly Scalar IgnoredTag = ((long)-100).ToScalar();
    /// <summary>A finite stand-in for −∞ in GlobalPointer's loss, and its magnitude.</summary>
    public static readonly Scalar MinusHuge = (-1e12).ToScalar();
    public static readonly Scalar Huge = 1e12.ToScalar();
}
