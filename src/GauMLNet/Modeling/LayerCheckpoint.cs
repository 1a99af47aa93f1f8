using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// Gradient checkpointing for one GAU layer: the forward pass keeps only the layer's input (and the
/// random state its dropout drew from); backward runs the layer again with autograd on and
/// backpropagates through that copy. Activation memory drops from every layer's intermediates to one
/// layer's, for one extra forward pass per layer. Gradients are exactly those of the plain layer.
/// The random state is libtorch's global CPU generator: as with PyTorch's checkpoint, the replayed
/// dropout masks match only if no other thread draws from it during the training step.
/// </summary>
internal sealed class LayerCheckpoint : autograd.SingleTensorFunction<LayerCheckpoint>
{
    public override string Name => nameof(LayerCheckpoint);

    /// <summary>Layers recomputed by backward passes run on this thread (CPU backward runs on the caller's thread); for tests.</summary>
    [ThreadStatic] internal static int RecomputedLayers;

    // The gradient the last backward on this thread returned. TorchSharp reads a returned handle only
    // until backward returns (the engine keeps its own reference), so it is released at the next call
    // instead of living in the caller's dispose scope until the step ends.
    [ThreadStatic] private static Tensor? LastReturned;

    /// <summary>The layer's output, computed without keeping its intermediates for backward.</summary>
    public static Tensor Forward(GauLayer layer, Tensor x, Tensor keyMask, RotaryPositionEmbedding rope)
    {
        if (x.device.type != global::TorchSharp.DeviceType.CPU && layer.UsesDropout)
            throw new NotSupportedException(
                $"gradient_checkpointing with dropout replays the dropout masks from the device's random state, which TorchSharp 0.107 " +
                $"exposes for the CPU only. To train on {x.device}, set hidden_dropout_prob and attention_probs_dropout_prob to 0 " +
                "or turn gradient_checkpointing off.");
        return apply(x, layer, keyMask, rope);
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (x, layer, keyMask, rope) = ((Tensor)vars[0], (GauLayer)vars[1], (Tensor)vars[2], (RotaryPositionEmbedding)vars[3]);
        ctx.save_for_backward([x, keyMask, get_rng_state()]);
        ctx.save_data(nameof(GauLayer), layer);
        ctx.save_data(nameof(RotaryPositionEmbedding), rope);
        return layer.call(x, keyMask, rope); // TorchSharp runs forward with autograd off
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradient)
    {
        LastReturned?.Dispose();
        LastReturned = null;
        // Every handle made here, the unpacked saved tensors included, is released when this call returns.
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var (x, keyMask, randomState) = (saved[0], saved[1], saved[2]);
        var layer = (GauLayer)ctx.get_data(nameof(GauLayer));
        var rope = (RotaryPositionEmbedding)ctx.get_data(nameof(RotaryPositionEmbedding));

        // Recompute with the dropout masks of the forward pass, then hand the generator back as it was.
        var current = get_rng_state();
        set_rng_state(randomState);
        var input = x.detach().requires_grad_();
        RecomputedLayers++;
        Tensor output;
        try
        {
            using var _ = enable_grad();
            output = layer.call(input, keyMask, rope);
        }
        finally
        {
            set_rng_state(current);
        }
        // Accumulates into the layer's parameters as the plain backward would, and gives the input's gradient.
        autograd.backward([output], [gradient]);
        gradient.Dispose(); // TorchSharp gives each call its own handle; the engine holds its own reference
        LastReturned = input.grad!.MoveToOuterDisposeScope();
        return [LastReturned, null!, null!, null!];
    }
}
