using GauMLNet.TorchSharp.Checkpoints;
using GauMLNet.Clue;
using GauMLNet.Storage;
using SharpFuzz;

namespace GauMLNet.Fuzz;

/// <summary>
/// The AFL++ harness (docs/fuzzing.md). One target per reader; an input either loads or fails with one of GauMLNet's
/// documented exceptions for corrupt input, and anything else escapes to SharpFuzz, which reports it to afl-fuzz as a crash.
/// <code>
/// GauMLNet.Fuzz TARGET                      under afl-fuzz (run.sh): the fork server loop
/// GauMLNet.Fuzz TARGET --seed-corpus DIR    writes the target's seed corpus from the fixtures
/// GauMLNet.Fuzz TARGET --replay FILE…       runs inputs once each and prints what happened (exit 1 on a contract violation)
/// GauMLNet.Fuzz TARGET --soak SECONDS FILE… runs random byte mutations of the inputs in this process, uninstrumented
/// </code>
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0 || !Targets.All.TryGetValue(args[0], out var target))
        {
            Console.Error.WriteLine($"usage: GauMLNet.Fuzz TARGET [--seed-corpus DIR | --replay FILE...]; targets: {string.Join(", ", Targets.All.Keys)}");
            return 2;
        }
        if (args.Length == 3 && args[1] == "--seed-corpus")
        {
            Directory.CreateDirectory(args[2]);
            foreach (var (name, bytes) in target.Seeds()) File.WriteAllBytes(Path.Combine(args[2], name), bytes);
            return 0;
        }
        if (args.Length >= 2 && args[1] == "--replay")
        {
            int violations = 0;
            foreach (string file in args.Skip(2))
            {
                try
                {
                    target.Run(File.ReadAllBytes(file));
                    Console.WriteLine($"{file}: loaded or refused as documented");
                }
                catch (Exception ex)
                {
                    violations++;
                    Console.WriteLine($"{file}: CONTRACT VIOLATION {ex}");
                }
            }
            return violations == 0 ? 0 : 1;
        }
        if (args.Length >= 3 && args[1] == "--soak") return Soak(target, TimeSpan.FromSeconds(double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)), args[3..]);
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var input = new MemoryStream();
            stream.CopyTo(input);
            target.Run(input.ToArray());
        });
        return 0;
    }

    /// <summary>
    /// The fuzzer's workload without AFL or instrumentation (seeded havoc on the given inputs, in one process), to tell a
    /// reader's crash from one of the fuzzing machinery.
    /// </summary>
    private static int Soak(Target target, TimeSpan duration, string[] files)
    {
        var inputs = files.Select(File.ReadAllBytes).ToArray();
        var random = new Random(12);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long runs = 0, violations = 0;
        while (clock.Elapsed < duration)
        {
            var bytes = (byte[])inputs[random.Next(inputs.Length)].Clone();
            for (int n = random.Next(1, 9); n > 0 && bytes.Length > 0; n--)
            {
                int at = random.Next(bytes.Length);
                switch (random.Next(4))
                {
                    case 0: bytes[at] ^= (byte)random.Next(1, 256); break;
                    case 1: bytes[at] = (byte)random.Next(256); break;
                    case 2: bytes = bytes[..at]; break;
                    default: bytes = [.. bytes[..at], .. bytes[random.Next(bytes.Length)..]]; break;
                }
            }
            runs++;
            try { target.Run(bytes); }
            catch (Exception ex)
            {
                violations++;
                Console.WriteLine($"run {runs}: CONTRACT VIOLATION {ex.GetType().Name}: {ex.Message}");
            }
        }
        Console.WriteLine($"{runs} runs in {clock.Elapsed.TotalSeconds:F0} s, {violations} contract violation(s)");
        return violations == 0 ? 0 : 1;
    }
}

/// <summary>A reader under test: its seed corpus, and one run of it on an input.</summary>
internal sealed class Target(Func<IEnumerable<(string Name, byte[] Bytes)>> seeds, Action<byte[]> load)
{
    public IEnumerable<(string Name, byte[] Bytes)> Seeds() => seeds();

    /// <summary>Loads the input; documented exceptions are the reader doing its job, anything else propagates (a crash for AFL).</summary>
    public void Run(byte[] input)
    {
        try { load(input); }
        catch (Exception ex) when (ex is InvalidDataException or IntegrityException or CheckpointMismatchException or ClueFormatException or GauMLNet.Tabular.TabularFormatException or FileNotFoundException)
        {
        }
    }
}
