using System.CommandLine;

namespace GauMLNet.Cli.Commands;

/// <summary>Options several commands share, spelled the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<string> Device() => new("--device")
    {
        Description = "auto (CUDA when available, else CPU), cpu, cuda or cuda:N",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<bool> GradientCheckpointing() => new("--gradient-checkpointing")
    {
        Description = "recompute each GAU layer during backward: activation memory of one layer instead of all, for one more forward pass",
    };

    public static Option<string> Task() => new("--task")
    {
        Description = "afqmc, tnews, iflytek, cmnli, ocnli, csl, cluewsc, eprstmt, bustm or csldcp",
        Required = true,
    };

    public static Option<string> RequiredPath(string name, string description) => new(name)
    {
        Description = description,
        Required = true,
    };
}
