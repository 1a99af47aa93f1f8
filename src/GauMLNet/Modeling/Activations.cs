using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>The hidden activations the port's configs name.</summary>
public static class Activations
{
    public static Func<Tensor, Tensor> Resolve(string name) => name switch
    {
        "swish" or "silu" => x => nn.functional.silu(x),
        "gelu" => x => nn.functional.gelu(x),
        "relu" => x => nn.functional.relu(x),
        _ => throw new InvalidDataException($"config key 'hidden_act': unknown activation '{name}'; expected swish, silu, gelu or relu."),
    };
}
