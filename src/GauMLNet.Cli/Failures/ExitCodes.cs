namespace GauMLNet.Cli.Failures;

/// <summary>What `gau` returns, so scripts can tell a wrong call from bad data from an interruption.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>A failure GauMLNet did not expect (a bug): the message says so; --verbose shows the stack trace.</summary>
    public const int InternalError = 1;
    /// <summary>gau encode --compare found a difference above --tolerance.</summary>
    public const int ComparisonMismatch = 2;
    /// <summary>Training diverged (NaN or infinite loss or gradients); the last good model is kept on disk.</summary>
    public const int Diverged = 3;
    /// <summary>gau sweep: the time budget ran out before any trial finished (raise --time).</summary>
    public const int BudgetExhausted = 4;
    /// <summary>Bad, missing or conflicting arguments (sysexits EX_USAGE).</summary>
    public const int Usage = 64;
    /// <summary>Missing, malformed or undecodable data; a corrupt, damaged or mismatched model or checkpoint (EX_DATAERR).</summary>
    public const int DataError = 65;
    /// <summary>Stopped by Ctrl+C (SIGINT) after the current step; 143 for SIGTERM.</summary>
    public const int Interrupted = 130;
    public const int Terminated = 143;
}
