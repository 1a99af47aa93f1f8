namespace GauMLNet.Storage;

/// <summary>
/// The points between the steps of every durable write (each rename that publishes a file, a directory or a
/// pointer). In-process tests hook them (internal: visible to the test assembly only) to throw there and prove that a
/// reader then sees either the old state or the new one; kills are injected from outside, with strace, at the same
/// renames. In a shipped process no hook is set and nothing happens.
/// </summary>
internal static class FaultPoints
{
    [ThreadStatic] private static Action<string>? HookOnThisThread;

    /// <summary>Called on this thread before each write step with what is about to happen; throw to fail there.</summary>
    public static Action<string>? Hook { get => HookOnThisThread; set => HookOnThisThread = value; }

    internal static void Step(string what) => HookOnThisThread?.Invoke(what);
}
