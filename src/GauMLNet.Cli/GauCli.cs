using System.CommandLine;
using GauMLNet.Cli.Commands;

namespace GauMLNet.Cli;

/// <summary>The `gau` command line: one subcommand per file under Commands/.</summary>
public static class GauCli
{
    public static RootCommand Build(TextWriter output, TextWriter error) =>
        new("gau: fine-tune, evaluate and serve GAU-α encoders from the command line.")
        {
            QuickStartCommand.Create(output, error),
            TrainCommand.Create(output, error),
            PretrainCommand.Create(output, error),
            EvaluateCommand.Create(output, error),
            PredictCommand.Create(output, error),
            SweepCommand.Create(output, error),
            BaselineCommand.Create(output, error),
            ConvertCommand.Create(output, error),
            ConvertCommand.CreateInspect(output, error),
            EncodeCommand.Create(output, error),
        };

    /// <summary>Runs the CLI; tests pass their own writers to read what it prints.</summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var config = new InvocationConfiguration { Output = output, Error = error };
        return Build(output, error).Parse(args).Invoke(config);
    }

    /// <summary>Runs a command body, turning expected failures (bad files, bad arguments) into one clear line and exit code 1.</summary>
    public static int Guard(TextWriter error, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException
            or System.Text.Json.JsonException or FormatException)
        {
            error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }
}
