using System.Buffers.Binary;
using System.Diagnostics;
using GauMLNet.Clue;
using GauMLNet.Storage;
using GauMLNet.TorchSharp.Checkpoints;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Faults;

/// <summary>A corrupted input and how it was made, so a failure can be reproduced by seed and iteration.</summary>
public sealed record Mutant(string Description, byte[] Bytes);

/// <summary>
/// Seeded byte-level corruptions of a file: flipped bytes and bits, truncations, forged length fields
/// (the most hostile integers written over any offset), removed, duplicated and inserted ranges, garbage
/// appended, the empty file. The same seed always gives the same sequence of mutants.
/// </summary>
public sealed class Mutator(byte[] original, int seed, IReadOnlyList<int>? interestingOffsets = null)
{
    private readonly Random _random = new(seed);
    private readonly IReadOnlyList<int> _offsets = interestingOffsets ?? [];

    private static readonly long[] HostileIntegers =
    [
        0, 1, -1, 7, 8, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, int.MaxValue, int.MinValue, uint.MaxValue, (long)int.MaxValue + 1,
        long.MaxValue, long.MinValue, 1L << 32, 1L << 40, 1L << 62, -8, 100L << 20,
    ];

    /// <summary>Every truncation at the interesting offsets (and around them), then the empty file.</summary>
    public IEnumerable<Mutant> Truncations()
    {
        yield return new Mutant("empty file", []);
        foreach (int at in _offsets.SelectMany(o => new[] { o - 1, o, o + 1 }).Where(o => o > 0 && o < original.Length).Distinct().Order())
            yield return new Mutant($"truncated at {at}", original[..at]);
    }

    public Mutant Next()
    {
        var bytes = (byte[])original.Clone();
        int Position(int width = 1) => _offsets.Count > 0 && _random.Next(3) == 0
            ? Math.Clamp(_offsets[_random.Next(_offsets.Count)] + _random.Next(-2, 3), 0, Math.Max(0, bytes.Length - width))
            : _random.Next(Math.Max(1, bytes.Length - width + 1));
        switch (_random.Next(10))
        {
            case 0:
                {
                    int at = Position();
                    byte x = (byte)_random.Next(1, 256);
                    bytes[at] ^= x;
                    return new Mutant($"byte {at} ^= 0x{x:x2}", bytes);
                }
            case 1:
                {
                    int n = _random.Next(2, 17);
                    var where = new List<int>();
                    for (int i = 0; i < n; i++) { int at = Position(); bytes[at] ^= (byte)_random.Next(1, 256); where.Add(at); }
                    return new Mutant($"{n} bytes flipped at {string.Join(",", where)}", bytes);
                }
            case 2:
                {
                    int at = Position();
                    int bit = _random.Next(8);
                    bytes[at] ^= (byte)(1 << bit);
                    return new Mutant($"bit {bit} of byte {at} flipped", bytes);
                }
            case 3:
                {
                    int at = _random.Next(bytes.Length);
                    return new Mutant($"truncated at {at}", bytes[..at]);
                }
            case 4 or 5:
                {
                    int width = _random.Next(2) == 0 ? 4 : 8;
                    if (bytes.Length < width) return new Mutant("empty file", []);
                    int at = Position(width);
                    long value = HostileIntegers[_random.Next(HostileIntegers.Length)] + (_random.Next(4) == 0 ? original.Length : 0);
                    if (width == 4) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), (int)value);
                    else BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at), value);
                    return new Mutant($"int{width * 8} {value} written at {at}", bytes);
                }
            case 6:
                {
                    int at = _random.Next(bytes.Length);
                    int n = Math.Min(bytes.Length - at, _random.Next(1, 64));
                    return new Mutant($"{n} bytes removed at {at}", [.. bytes[..at], .. bytes[(at + n)..]]);
                }
            case 7:
                {
                    int at = _random.Next(bytes.Length);
                    int n = Math.Min(bytes.Length - at, _random.Next(1, 64));
                    return new Mutant($"{n} bytes at {at} duplicated", [.. bytes[..(at + n)], .. bytes[at..]]);
                }
            case 8:
                {
                    var garbage = new byte[_random.Next(1, 256)];
                    _random.NextBytes(garbage);
                    return new Mutant($"{garbage.Length} random bytes appended", [.. bytes, .. garbage]);
                }
            default:
                {
                    int at = Position();
                    var garbage = new byte[_random.Next(1, 32)];
                    _random.NextBytes(garbage);
                    return new Mutant($"{garbage.Length} random bytes inserted at {at}", [.. bytes[..at], .. garbage, .. bytes[at..]]);
                }
        }
    }
}

/// <summary>
/// Runs a reader over mutants and checks the contract: every input either loads or throws one of GauMLNet's
/// documented exceptions for corrupt input, within a time limit and without allocating far more than the input.
/// </summary>
public sealed class CorruptionBattery(string target, ITestOutputHelper output)
{
    /// <summary>How long one input may take to load or fail before it counts as a hang.</summary>
    public static TimeSpan HangLimit { get; } = TimeSpan.FromSeconds(20);

    private readonly List<string> _failures = [];
    private readonly Dictionary<string, int> _outcomes = [];
    private readonly Stopwatch _clock = new();
    private int _inputs;

    /// <summary>Managed bytes one load may allocate: a fixed allowance plus a multiple of the input's size.</summary>
    public long AllocationAllowance { get; init; } = 64L << 20;
    public int AllocationFactor { get; init; } = 32;

    /// <summary>Whether the inputs checked so far took less than <paramref name="cap"/> in all (the time budget of a loop).</summary>
    public bool Within(TimeSpan cap) => _clock.Elapsed < cap;

    public static bool IsDocumented(Exception ex) =>
        ex is InvalidDataException or IntegrityException or CheckpointMismatchException or ClueFormatException or GauMLNet.Tabular.TabularFormatException or FileNotFoundException;

    /// <summary>Loads one mutant; <paramref name="load"/> returns normally when the input loaded (and checks what it loaded).</summary>
    public void Check(string label, byte[] input, Action<byte[]> load)
    {
        _clock.Start();
        _inputs++;
        var run = new Work(input, load);
        _worker ??= StartWorker(_queue);
        _queue.Add(run);
        bool finished = run.Done.Wait(HangLimit);
        var (error, allocated) = (run.Error, run.Allocated);
        if (!finished) _worker = null; // abandoned with the hung input; the next input gets a new worker
        _clock.Stop();
        string outcome;
        if (!finished)
        {
            outcome = "hang";
            _failures.Add($"{label}: no result after {HangLimit.TotalSeconds:F0} s (a hang)");
        }
        else if (error is null) outcome = "loaded";
        else if (IsDocumented(error)) outcome = error.GetType().Name;
        else
        {
            outcome = "UNDOCUMENTED " + error.GetType().Name;
            _failures.Add($"{label}: {error}");
        }
        if (finished && allocated > AllocationAllowance + (long)AllocationFactor * input.Length)
            _failures.Add($"{label}: allocated {allocated / (1 << 20)} MiB for a {input.Length}-byte input ({outcome})");
        _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;
        if (!finished) throw new Xunit.Sdk.XunitException($"[{target}] {_failures[^1]}");
    }

    /// <summary>One input's run on the worker thread.</summary>
    private sealed class Work(byte[] input, Action<byte[]> load)
    {
        public ManualResetEventSlim Done { get; } = new();
        public Exception? Error { get; private set; }
        public long Allocated { get; private set; }

        public void Run()
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { load(input); }
            catch (Exception ex) { Error = ex; }
            Allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Done.Set();
        }
    }

    private readonly System.Collections.Concurrent.BlockingCollection<Work> _queue = [];
    private Thread? _worker;

    /// <summary>
    /// One long-lived thread runs the inputs (a thread per input would churn thousands of threads through libtorch's
    /// thread-local state); a big stack, so that deep recursion would be a finding rather than the default limit.
    /// </summary>
    private static Thread StartWorker(System.Collections.Concurrent.BlockingCollection<Work> queue)
    {
        var thread = new Thread(() => { foreach (var work in queue.GetConsumingEnumerable()) work.Run(); }, maxStackSize: 16 << 20)
        {
            IsBackground = true,
            Name = "corruption battery",
        };
        thread.Start();
        return thread;
    }

    /// <summary>The seeded loop: every truncation, then random mutants until the iteration budget or the time cap.</summary>
    public void Run(byte[] original, int seed, int iterations, TimeSpan cap, Action<byte[]> load, IReadOnlyList<int>? interestingOffsets = null,
        Func<byte[], byte[]>? repair = null)
    {
        var mutator = new Mutator(original, seed, interestingOffsets);
        foreach (var m in mutator.Truncations().TakeWhile(_ => _clock.Elapsed < cap)) Check($"seed {seed}, {m.Description}", m.Bytes, load);
        for (int i = 0; i < iterations && _clock.Elapsed < cap; i++)
        {
            var m = mutator.Next();
            Check($"seed {seed}, iteration {i}: {m.Description}{(repair is null ? "" : " (checksums repaired)")}", repair is null ? m.Bytes : repair(m.Bytes), load);
        }
    }

    /// <summary>Writes the summary and fails with every contract violation (seed, iteration, mutation, exception).</summary>
    public void AssertContract()
    {
        _queue.CompleteAdding();
        output.WriteLine($"[{target}] {_inputs} inputs in {_clock.Elapsed.TotalSeconds:F1} s: " +
            string.Join(", ", _outcomes.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}")));
        if (_failures.Count > 0)
            throw new Xunit.Sdk.XunitException($"[{target}] {_failures.Count} input(s) broke the reader contract:\n" + string.Join("\n\n", _failures.Take(10)));
    }
}

/// <summary>
/// Inputs that crashed a reader under AFL (docs/fuzzing.md), kept as regression cases: the files under
/// Fixtures/fuzz-regressions/TARGET/, each replayed by the battery of its target.
/// </summary>
public static class FuzzRegressions
{
    public static IEnumerable<Mutant> Inputs(string target)
    {
        string folder = Path.Combine(Support.TestPaths.Fixture("fuzz-regressions"), target);
        if (!Directory.Exists(folder)) yield break;
        foreach (string file in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
            yield return new Mutant($"fuzz regression {target}/{Path.GetFileName(file)}", File.ReadAllBytes(file));
    }
}
