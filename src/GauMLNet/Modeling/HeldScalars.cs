using TorchSharp;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// The numbers our tensor code passes to libtorch, held for the life of the process. A <see cref="Scalar"/> made
/// implicitly from a number for one call (<c>x * 0.5</c>, <c>x.clamp_min(1.0)</c>) is unreachable once its handle has
/// been passed, so a collection on another thread can finalize it — freeing the native value — while libtorch still
/// reads it: a GlobalPointer loss on CLUENER failed that way mid-training (c10's Scalar::toFloat check saw a freed
/// value). Static instances are never finalized. Values fixed by a module's configuration are held by the module.
/// TorchSharp 0.107 makes such temporaries inside some of its own methods too (<c>a + b</c> and <c>a.add(b)</c> pass
/// alpha = 1, its optimizers' steps pass their constants): our code calls none of them (<see cref="HeldAddition"/>,
/// <c>Training/AdamW</c>). TemporaryScalarTests guards both from the IL: our Scalars must be held, and the TorchSharp
/// methods that make temporaries (derived from TorchSharp's own IL) must not be called.
/// </summary>
internal static class HeldScalars
{
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
    public static readonly Scalar Zero = 0.0.ToScalar();
    public static readonly Scalar One = 1.0.ToScalar();
    public static readonly Scalar Two = 2.0.ToScalar();
    /// <summary>The alpha of a plain sum (a + 1·b); an integer, so it suits integer tensors as well as floating ones.</summary>
    public static readonly Scalar UnitAlpha = 1L.ToScalar();
    /// <summary>cross_entropy's ignore_index (−100): positions without a tag, tokens MLM does not predict.</summary>
    public static readonly Scalar IgnoredTag = ((long)-100).ToScalar();
    /// <summary>A finite stand-in for −∞ in GlobalPointer's loss, and its magnitude.</summary>
    public static readonly Scalar MinusHuge = (-1e12).ToScalar();
    public static readonly Scalar Huge = 1e12.ToScalar();

    /// <summary>A scalar for a value fixed at construction (a module's ε or 1/√s); the holder keeps it alive.</summary>
    public static Scalar Hold(double value) => value.ToScalar();
}
