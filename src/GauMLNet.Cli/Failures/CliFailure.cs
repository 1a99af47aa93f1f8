namespace GauMLNet.Cli.Failures;

/// <summary>A failure a command has already put into words, with its exit code.</summary>
public sealed class CliFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
