namespace GauMLNet.Clue;

/// <summary>Finds the train, dev and test files of a CLUE (train.json) or FewCLUE (train_few_all.json) task folder.</summary>
public static class ClueDataFolder
{
    public enum Split { Train, Dev, Test }

    private static readonly Dictionary<Split, string[]> Candidates = new()
    {
        [Split.Train] = ["train.json", "train_few_all.json"],
        [Split.Dev] = ["dev.json", "dev_few_all.json"],
        [Split.Test] = ["test.json", "test_public.json"],
    };

    /// <summary>The split's file, or null when the folder has none.</summary>
    public static string? Find(string directory, Split split)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Data folder {directory} does not exist.");
        return Candidates[split].Select(name => Path.Combine(directory, name)).FirstOrDefault(File.Exists);
    }

    public static string Require(string directory, Split split) =>
        Find(directory, split) ?? throw new FileNotFoundException(
            $"{directory} has no {split.ToString().ToLowerInvariant()} file (looked for {string.Join(" or ", Candidates[split])}).");
}
