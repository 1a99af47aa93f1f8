namespace GauMLNet.Tests.Support;

/// <summary>
/// Tests that change or read something the whole process shares run alone, never beside other tests:
/// forced garbage collections (they finalize the implicit scalars TorchSharp 0.107 makes inside its own operators for
/// tests running beside them — docs/known-issues.md — the cause of rare failures in unrelated training tests), and
/// glibc's malloc settings and counters (LargeBlockHeap), which any allocation beside them would change.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAloneCollection
{
    public const string Name = "runs alone";
}
