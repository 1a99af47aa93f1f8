using System.Diagnostics;

namespace GauMLNet.Storage;

/// <summary>
/// The points between the steps of every durable write (each rename that publishes a file, a directory or a
/// pointer). Tests hook them to throw, or make the process kill itself there, and prove that a reader then sees
/// either the old state or the new one. In production no hook is set and nothing happens.
/// </summary>
public static class FaultPoints
{
    /// <summary>The environment variable that makes the process kill itself (SIGKILL) just before its N-th write step.</summary>
    public const string KillAtStepVariable = "GAUMLNET_KILL_AT_WRITE_STEP";

    private static readonly long KillAt = long.TryParse(Environment.GetEnvironmentVariable(KillAtStepVariable), out long n) ? n : -1;
    private static long ProcessSteps;

    [ThreadStatic] private static Action<string>? HookOnThisThread;

    /// <summary>Called on this thread before each write step with what is about to happen; throw to fail there.</summary>
    public static Action<string>? Hook { get => HookOnThisThread; set => HookOnThisThread = value; }

    internal static void Step(string what)
    {
        if (Interlocked.Increment(ref ProcessSteps) == KillAt) Process.GetCurrentProcess().Kill(); // SIGKILL: no finally blocks run
        HookOnThisThread?.Invoke(what);
    }
}
