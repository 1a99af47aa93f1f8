using System.CommandLine;
using GauMLNet.Cli.Failures;
using GauMLNet.Tabular;

namespace GauMLNet.Cli.Commands;

/// <summary>gau merge-shards: put the outputs of gau predict --shard 0/N … N-1/N back into one file in input order.</summary>
internal static class MergeShardsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var parts = new Argument<string[]>("shards") { Description = "the shards' scored files in shard order: --shard 0/N's first", Arity = ArgumentArity.OneOrMore };
        var outputFile = CommonOptions.RequiredPath("--output", "the merged file (.csv, .tsv or .jsonl), written whole or not at all");
        var command = new Command("merge-shards", "Merge the outputs of gau predict --shard i/N (given in shard order) into one file in input order.")
        {
            parts, outputFile,
        };
        command.SetAction(r => CommandGuard.Run(r, error, () =>
        {
            var files = r.GetValue(parts)!;
            foreach (string file in files) DataFileOptions.RequireFile("merge-shards", file);
            string merged = r.GetValue(outputFile)!;
            if (!TabularFormats.IsDataFile(merged)) throw new UsageException($"--output: {merged} is not a .csv, .tsv or .jsonl file.");
            long rows = TabularShards.Merge(files, merged);
            output.WriteLine($"merged {files.Length} shards: {rows:N0} rows to {merged}");
            return 0;
        }));
        return command;
    }
}
