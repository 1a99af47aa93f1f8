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

    public static Option<string> Task(bool required = true) => new("--task")
    {
        Description = "afqmc, tnews, iflytek, cmnli, ocnli, csl, cluewsc, eprstmt, bustm, csldcp, cluener (named entities) or cmrc2018 (question answering)" +
                      (required ? "" : "; not needed with a data file (.csv, .tsv, .jsonl)"),
        Required = required,
    };

    public static Option<string?> Encoding() => new("--encoding")
    {
        Description = "the data files' text encoding: utf-8 (default, checked strictly), or a legacy one such as gb18030, gbk or big5",
    };

    public static Option<string> InferencePrecision() => new("--inference-precision")
    {
        Description = "fp32 or bf16: the format model.zip scores in (independent of --precision). bf16 is faster only on CPUs with native bf16 " +
                      "(AVX512-BF16 or AMX); where it would be emulated (about twice as slow as fp32) the model scores in fp32 and says so, " +
                      "unless --force-precision",
        DefaultValueFactory = _ => "fp32",
    };

    public static Option<string> TrainingPrecision() => new("--precision")
    {
        Description = "fp32 or bf16: the format training computes in (bf16: mixed precision with fp32 master weights, optimizer and saved weights; " +
                      "faster on CPUs with AVX512-BF16 or AMX; elsewhere training falls back to fp32 with a message unless --force-precision). " +
                      "A --resume must use the same precision",
        DefaultValueFactory = _ => "fp32",
    };

    public static Option<bool> ForcePrecision(bool scores = true) => new("--force-precision")
    {
        Description = scores
            ? "train in --precision bf16 and score in --inference-precision bf16 even where the CPU only emulates bf16 (slower than fp32 there)"
            : "train in --precision bf16 even where the CPU only emulates bf16 (slower than fp32 there)",
    };

    public static Option<string> RequiredPath(string name, string description) => new(name)
    {
        Description = description,
        Required = true,
    };

    public static Option<string?> Attention() => new("--attention")
    {
        Description = "from scratch: full (GAU-α) or mixed-chunk (FLASH: attention inside chunks of --chunk-size tokens plus linear attention " +
                      "across them; time and memory linear in the length, for long documents)",
    };

    public static Option<int?> ChunkSize() => new("--chunk-size")
    {
        Description = "with --attention mixed-chunk: tokens per chunk (default 256)",
    };

    /// <summary>Fine-tuning's learning rate; unset, the trainer's default for a checkpoint (given by <paramref name="checkpointOption"/>) or from scratch.</summary>
    public static Option<double?> LearningRate(string checkpointOption) => new("--learning-rate")
    {
        Description = $"default 2e-5 with {checkpointOption} (released base-size weights), 1e-3 from scratch",
    };

    public static Option<int> FineTuningBatchSize() => new("--batch-size")
    {
        Description = "rows per fine-tuning step",
        DefaultValueFactory = _ => 32,
    };
}
