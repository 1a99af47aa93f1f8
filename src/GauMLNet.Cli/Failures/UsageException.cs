namespace GauMLNet.Cli.Failures;

/// <summary>A command-line argument that is missing, malformed or out of range; the message names it.</summary>
public sealed class UsageException(string message) : Exception(message);
