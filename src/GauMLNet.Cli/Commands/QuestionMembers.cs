using System.Text.Json;
using System.Text.Json.Nodes;
using GauMLNet.Cli.Failures;
using GauMLNet.Clue;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using Microsoft.ML;

namespace GauMLNet.Cli.Commands;

/// <summary>
/// gau train --task cmrc2018 --members N: the whole recipe N times, seeds S, S+1, …, each into OUTPUT/member-K, then one
/// OUTPUT/model.zip whose answerer decodes the mean of the members' start and end logits
/// (<see cref="GauQuestionAnsweringTransformer.Average"/>). With --resume, a member continues from what it left, and a
/// finished one is reloaded from its checkpoints rather than trained again.
/// </summary>
internal static class QuestionMembers
{
    public const int MaxMembers = 16;

    public static string MemberDirectory(string output, int member) => Path.Combine(output, $"member-{member}");

    private static int MemberSeed(int seed, int member) => seed + member - 1;

    public static int Train(TrainingRun.Settings s, QuestionRun.QuestionSettings q, TextWriter output)
    {
        if (q.Members > MaxMembers) throw new UsageException($"--members: at most {MaxMembers}, not {q.Members}.");
        if ((long)s.Seed + q.Members - 1 > int.MaxValue) throw new UsageException($"--seed: the members' seeds {s.Seed} to {(long)s.Seed + q.Members - 1} must fit in an int.");
        if (s.Resume && !Enumerable.Range(1, q.Members).Any(k => QuestionRun.HasCheckpoint(MemberDirectory(s.OutputDirectory, k))))
            throw new UsageException($"--resume: there is no member checkpoint in {s.OutputDirectory}; run without --resume to start training.");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int k = 1; k <= q.Members; k++)
        {
            string directory = MemberDirectory(s.OutputDirectory, k);
            bool resume = s.Resume && QuestionRun.HasCheckpoint(directory);
            int seed = MemberSeed(s.Seed, k);
            output.WriteLine($"member {k} of {q.Members}: seed {seed}, into {directory}{(resume ? " (resumed)" : "")}");
            int code = QuestionRun.Train(s with { Seed = seed, OutputDirectory = directory, Resume = resume }, q with { Members = 1 }, output);
            if (code != 0)
            {
                output.WriteLine($"member {k} of {q.Members} did not finish; the same command with --resume continues it and keeps members 1 to {k - 1}.");
                return code;
            }
        }
        return Assemble(s, q.Members, clock.Elapsed.TotalSeconds, output);
    }

    // Loads each member's model.zip, saves their average as OUTPUT/model.zip and scores it on dev.json.
    private static int Assemble(TrainingRun.Settings s, int members, double seconds, TextWriter output)
    {
        var ml = new MLContext(seed: s.Seed);
        var answerers = new List<GauQuestionAnsweringTransformer>(members);
        Microsoft.ML.DataViewSchema? schema = null;
        GauQuestionAnsweringTransformer average;
        try
        {
            for (int k = 1; k <= members; k++)
            {
                string directory = MemberDirectory(s.OutputDirectory, k);
                var model = TrainingRun.LoadModel(ml, directory, out var inputSchema);
                schema ??= inputSchema;
                answerers.Add(QuestionRun.Answerer(model, directory));
            }
            average = GauQuestionAnsweringTransformer.Average(answerers);
        }
        catch
        {
            foreach (var answerer in answerers) answerer.Dispose();
            throw;
        }
        using (average)
        {
            string modelPath = Path.Combine(s.OutputDirectory, TrainingRun.ModelFile);
            TrainingRun.SaveModelAtomically(ml, average, schema!, modelPath);
            var report = new JsonObject
            {
                ["task"] = QuestionRun.TaskName,
                ["members"] = new JsonArray(Enumerable.Range(1, members).Select(k => (JsonNode)new JsonObject
                {
                    ["directory"] = Path.GetFileName(MemberDirectory(s.OutputDirectory, k)),
                    ["seed"] = MemberSeed(s.Seed, k),
                    ["dev"] = MemberDev(MemberDirectory(s.OutputDirectory, k))?.DeepClone(),
                }).ToArray()),
                ["seconds_this_command"] = Math.Round(seconds, 1),
            };
            if (ClueDataFolder.Find(s.DataDirectory, ClueDataFolder.Split.Dev) is { } devPath)
            {
                var devQuestions = SquadJson.Read(devPath, requireAnswers: true, Arguments.Encoding(s.Encoding));
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var metrics = QuestionRun.Score(average, devQuestions);
                report["dev_questions_per_second"] = Math.Round(devQuestions.Count / clock.Elapsed.TotalSeconds, 1);
                report["dev"] = JsonSerializer.SerializeToNode(metrics);
                output.WriteLine(QuestionRun.Line($"dev, the mean of {members} members' logits,", metrics));
            }
            string metricsPath = Path.Combine(s.OutputDirectory, TrainingRun.MetricsFile);
            AtomicFile.WriteAllText(metricsPath, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            output.WriteLine($"wrote {modelPath} (the mean of {members} members' logits) and {metricsPath}");
        }
        return 0;
    }

    private static JsonNode? MemberDev(string directory)
    {
        string path = Path.Combine(directory, TrainingRun.MetricsFile);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path))?["dev"];
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not valid JSON ({ex.Message}); delete it and run the same command with --resume.", ex);
        }
    }
}
