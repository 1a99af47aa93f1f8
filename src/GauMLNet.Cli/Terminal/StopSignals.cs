using System.Runtime.InteropServices;
using GauMLNet.Cli.Failures;

namespace GauMLNet.Cli.Terminal;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM as one clean stop: the process is not killed; the token is cancelled and the
/// training loop stops after its current step, keeping the checkpoints it has committed.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _registrations;
    private PosixSignal? _signal;

    public StopSignals() => _registrations = [Register(PosixSignal.SIGINT), Register(PosixSignal.SIGTERM)];

    public CancellationToken Token => _cancel.Token;

    /// <summary>130 after Ctrl+C, 143 after SIGTERM.</summary>
    public int ExitCode => _signal == PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted;

    public string Name => _signal == PosixSignal.SIGTERM ? "SIGTERM" : "Ctrl+C";

    private PosixSignalRegistration Register(PosixSignal signal) => PosixSignalRegistration.Create(signal, context =>
    {
        context.Cancel = true; // keep the process alive: stop cleanly instead
        _signal ??= signal;
        _cancel.Cancel();
    });

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _cancel.Dispose();
    }
}
