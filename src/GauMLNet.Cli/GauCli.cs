using System.CommandLine;
using GauMLNet.Cli.Commands;
using GauMLNet.Cli.Failures;

namespace GauMLNet.Cli;

/// <summary>The `gau` command line: one subcommand per file under Commands/.</summary>
public static class GauCli
{
    public static RootCommand Build(TextWriter output, TextWriter error) =>
        new("gau: fine-tune, evaluate and serve GAU-α encoders from the command line.")
        {
            CommandGuard.Verbose,
            QuickStartCommand.Create(output, error),
            TrainCommand.Create(output, error),
            PretrainCommand.Create(output, error),
            EvaluateCommand.Create(output, error),
            PredictCommand.Create(output, error),
            MergeShardsCommand.Create(output, error),
            SweepCommand.Create(output, error),
            BaselineCommand.Create(output, error),
            AutoCommand.Create(output, error),
            ConvertCommand.Create(output, error),
            ConvertCommand.CreateInspect(output, error),
            EncodeCommand.Create(output, error),
            ExportCommand.Create(output, error),
        };

    /// <summary>Runs the CLI; tests pass their own writers to read what it prints.</summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var parsed = Build(output, error).Parse(args);
        // Usage errors (unknown option, missing required option, unparsable value) get the usage exit code.
        if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
        {
            foreach (var parseError in parsed.Errors) error.WriteLine($"error: {parseError.Message}");
            error.WriteLine($"Run '{string.Join(' ', ["gau", .. parsed.CommandResult.Command.Name == "gau" ? Array.Empty<string>() : [parsed.CommandResult.Command.Name]])} --help' for usage.");
            return ExitCodes.Usage;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
