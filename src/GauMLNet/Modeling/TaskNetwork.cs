using GauMLNet.Configuration;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// A GAU-α backbone ("gau_alpha") with a task head: called as (input_ids, token_type_ids, attention_mask),
/// each [b, n], it returns the head's raw output. Built and initialised by <see cref="TaskNetworks"/>.
/// </summary>
public abstract class TaskNetwork(string name) : nn.Module<Tensor, Tensor, Tensor, Tensor>(name)
{
    public abstract GauAlphaConfig Config { get; }
    public abstract GauAlphaModel Backbone { get; }

    /// <summary>
    /// A network of the same shape whose parameters are not initialised: the bf16 working copy in training, the
    /// converted copy in bf16 scoring. The caller fills it (load_state_dict or a copy) and owns it.
    /// </summary>
    public abstract TaskNetwork EmptyTwin();
}
