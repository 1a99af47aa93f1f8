using System.CommandLine;
using GauMLNet.Cli.Commands;

namespace GauMLNet.Cli;

/// <summary>The `gau` command line: one subcommand per file under Commands/.</summary>
public static class GauCli
{
    // The training commands, whose log opens with what the process runs with (every torch command decides the same way).
    private static readonly HashSet<string> TrainingCommands = ["quickstart", "train", "pretrain", "sweep"];

    /// <summary>On every command: print the stack trace of a failure too.</summary>
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "on failure, also print the stack trace", Recursive = true };

    public static RootCommand Build(TextWriter output, TextWriter error) =>
        new("gau: fine-tune, evaluate and serve GAU-α encoders from the command line.")
        {
            Verbose,
            QuickStartCommand.Create(output, error),
            TrainCommand.Create(output, error),
            PretrainCommand.Create(output, error),
            EvaluateCommand.Create(output, error),
            PredictCommand.Create(output, error),
            MergeShardsCommand.Create(output, error),
            SweepCommand.Create(output, error),
            BaselineCommand.Create(output, error),
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

    /// <summary>
    /// Runs a command body: an expected failure becomes one or two lines on stderr naming what is at fault and an
    /// exit code by kind (<see cref="ExitCodes"/>); the stack trace only with --verbose.
    /// </summary>
    public static int Guard(ParseResult parsed, TextWriter error, Func<int> body)
    {
        try
        {
            // The tool opts in to GauMLNet's process-wide settings (its project file); a training run says so once, at its start.
            if (TrainingCommands.Contains(parsed.CommandResult.Command.Name)) error.WriteLine($"gau: {Runtime.ProcessSettings.Describe()}");
            return body();
        }
        catch (Exception ex)
        {
            return ErrorReport.Write(error, ex, parsed.GetValue(Verbose));
        }
    }
}
