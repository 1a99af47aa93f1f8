using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>Per-dimension scale γ (and offset β when use_bias): turns the shared z into q or k.</summary>
public sealed class ScaleOffset : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "weight")] private readonly Parameter _scale;
    [ComponentName(Name = "bias")] private readonly Parameter? _offset;

    public ScaleOffset(long dim, bool useBias) : base(nameof(ScaleOffset))
    {
        _scale = new Parameter(ones(dim));
        if (useBias) _offset = new Parameter(zeros(dim));
        RegisterComponents();
    }

    public override Tensor forward(Tensor z) => _offset is null ? z * _scale : (z * _scale).PlusInPlace(_offset);
}
