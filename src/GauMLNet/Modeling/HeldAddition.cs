using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// a + b with a held alpha. TorchSharp's <c>a + b</c>, <c>a.add(b)</c> and <c>a.add_(b)</c> pass alpha = 1 as a Scalar
/// they make and drop for the call, which a collection can free while libtorch reads it (see <see cref="HeldScalars"/>):
/// a saved classifier once failed that way while predicting.
/// </summary>
internal static class HeldAddition
{
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, HeldScalars.UnitAlpha);

    public static Tensor Plus(this Tensor a, Scalar b) => a.add(b, HeldScalars.UnitAlpha);

    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, HeldScalars.UnitAlpha);

    public static Tensor PlusInPlace(this Tensor a, Scalar b) => a.add_(b, HeldScalars.UnitAlpha);
}
