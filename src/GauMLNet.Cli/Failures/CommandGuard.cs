using System.CommandLine;

namespace GauMLNet.Cli.Failures;

/// <summary>What every command body runs inside: the process settings said once for training, failures put into words.</summary>
public static class CommandGuard
{
    // The training commands, whose log opens with what the process runs with (every torch command decides the same way).
    private static readonly HashSet<string> TrainingCommands = ["quickstart", "train", "pretrain", "sweep"];

    /// <summary>On every command: print the stack trace of a failure too.</summary>
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "on failure, also print the stack trace", Recursive = true };

    /// <summary>
    /// Runs a command body: an expected failure becomes one or two lines on stderr naming what is at fault and an
    /// exit code by kind (<see cref="ExitCodes"/>); the stack trace only with --verbose.
    /// </summary>
    public static int Run(ParseResult parsed, TextWriter error, Func<int> body)
    {
        try
        {
            // The tool opts in to GauMLNet's process-wide settings (its project file); a training run says so once, at its start.
            if (TrainingCommands.Contains(parsed.CommandResult.Command.Name)) error.WriteLine($"gau: {GauMLNet.TorchSharp.Runtime.ProcessSettings.Describe()}");
            return body();
        }
        catch (Exception ex)
        {
            return ErrorReport.Write(error, ex, parsed.GetValue(Verbose));
        }
    }
}
