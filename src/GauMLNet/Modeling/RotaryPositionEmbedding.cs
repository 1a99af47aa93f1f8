using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// RoPE over adjacent pairs (2i, 2i+1) with θᵢ = 10000^(-2i/s), as bert4keras applies it:
/// x'₂ᵢ = x₂ᵢ·cos − x₂ᵢ₊₁·sin, x'₂ᵢ₊₁ = x₂ᵢ₊₁·cos + x₂ᵢ·sin. Computed for any length: no position table, no cap.
/// </summary>
public sealed class RotaryPositionEmbedding
{
    public const double Base = 10000.0;

    /// <summary>cos and sin of every position's angles, each [n, dim], repeated for both members of a pair.</summary>
    public Tensor Cos { get; }
    public Tensor Sin { get; }

    private RotaryPositionEmbedding(Tensor cos, Tensor sin) { Cos = cos; Sin = sin; }

    public static RotaryPositionEmbedding Create(long length, long dim, Device device, ScalarType dtype, long firstPosition = 0)
    {
        if (dim % 2 != 0) throw new ArgumentException($"RoPE needs an even dimension, got {dim}.", nameof(dim));
        // Scalars held to the end of the call (see HeldScalars): arange would otherwise see its start freed while making its stop.
        using Scalar zero = 0, width = dim, two = 2, one = 1, first = firstPosition, end = firstPosition + length;
        using var scope = NewDisposeScope(); // holds the intermediates until the calls that read them return
        using var rotationBase = tensor(Base); // a CPU float64 0-dim tensor, as pow(10000.0, t) would make
        var inverseFrequency = pow(rotationBase, -arange(zero, width, two, ScalarType.Float64, device).div(width));
        var positions = arange(first, end, one, ScalarType.Float64, device);
        var angles = outer(positions, inverseFrequency).repeat_interleave(2, dim: -1); // [n, dim]: θ₀ θ₀ θ₁ θ₁ …
        return new RotaryPositionEmbedding(angles.cos().to(dtype).MoveToOuterDisposeScope(), angles.sin().to(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>Rotates x [..., n, dim].</summary>
    public Tensor Apply(Tensor x) => (x * Cos).PlusInPlace(RotatePairs(x) * Sin);

    // (x₀, x₁, x₂, x₃, …) → (−x₁, x₀, −x₃, x₂, …)
    private static Tensor RotatePairs(Tensor x)
    {
        long[] shape = x.shape;
        var pairs = x.reshape([.. shape[..^1], shape[^1] / 2, 2]);
        return stack([-pairs[TensorIndex.Ellipsis, 1], pairs[TensorIndex.Ellipsis, 0]], dim: -1).reshape(shape);
    }
}
