using GauMLNet.Checkpoints;
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
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var input = new MemoryStream();
            stream.CopyTo(input);
            target.Run(input.ToArray());
        });
        return 0;
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
        catch (Exception ex) when (ex is InvalidDataException or IntegrityException or CheckpointMismatchException or ClueFormatException or FileNotFoundException)
        {
        }
    }
}
