using System.Text.Json;
using System.Text.RegularExpressions;
using GauMLNet.Training;

namespace GauMLNet.Cli.Failures;

/// <summary>
/// Turns an exception into the one or two lines a user reads on stderr and the exit code a script reads.
/// Expected failures never show a stack trace (unless --verbose); .NET's argument-exception decorations
/// ("(Parameter 'x')", "Actual value was …") are removed.
/// </summary>
internal static partial class ErrorReport
{
    public static int Write(TextWriter error, Exception ex, bool verbose)
    {
        while (ex is System.Reflection.TargetInvocationException { InnerException: { } inner }) ex = inner; // a call made by reflection
        var (code, message) = Classify(ex);
        error.WriteLine(message);
        if (verbose) error.WriteLine(ex.ToString());
        return code;
    }

    private static (int Code, string Message) Classify(Exception ex) => ex switch
    {
        CliFailure failure => (failure.ExitCode, failure.Message),
        UsageException => (ExitCodes.Usage, $"error: {ex.Message}"),
        CheckpointFingerprintException => (ExitCodes.Usage, $"error: {Clean(ex)}"),
        ArgumentException => (ExitCodes.Usage, $"error: {Clean(ex)}"),
        IOException or InvalidDataException or FormatException or JsonException or UnauthorizedAccessException or InvalidOperationException or NotSupportedException
            => (ExitCodes.DataError, $"error: {Clean(ex)}"),
        _ => (ExitCodes.InternalError, $"internal error ({ex.GetType().Name}): {Clean(ex)}\nThis is a bug in GauMLNet; rerun with --verbose for the stack trace and report it."),
    };

    /// <summary>The message without .NET's "(Parameter 'x')" and "Actual value was …" decorations.</summary>
    public static string Clean(Exception ex)
    {
        string message = ex.Message;
        int actual = message.IndexOf("\nActual value was", StringComparison.Ordinal);
        if (actual >= 0) message = message[..actual];
        return ParameterSuffix().Replace(message, "").Trim();
    }

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)\s*$", RegexOptions.Multiline)]
    private static partial Regex ParameterSuffix();
}
