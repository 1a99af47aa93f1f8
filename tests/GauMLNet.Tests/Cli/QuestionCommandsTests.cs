using System.Text.Json;
using System.Text.Json.Nodes;
using GauMLNet.Cli;
using GauMLNet.Cli.Failures;
using GauMLNet.Evaluation;
using GauMLNet.QuestionAnswering;
using GauMLNet.Tests.Support;
using GauMLNet.Tests.Training;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Cli;

/// <summary>gau train → evaluate → predict --task cmrc2018 on a synthetic SQuAD-style folder, and its input errors.</summary>
[Collection(MLNet.GlobalTorchRngCollection.Name)]
public sealed class QuestionCommandsTests(ITestOutputHelper output)
{
    private static (int Code, string Out, string Err) Gau(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = GauCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static void WriteSquad(string path, IEnumerable<QuestionAnsweringExample> questions, bool answers = true)
    {
        var paragraphs = new JsonArray(questions.Select(q => (JsonNode)new JsonObject
        {
            ["context"] = q.Context,
            ["qas"] = new JsonArray(new JsonObject
            {
                ["id"] = q.Id,
                ["question"] = q.Question,
                ["answers"] = answers ? new JsonArray(q.Answers.Select(a => (JsonNode)new JsonObject { ["text"] = a.Text, ["answer_start"] = a.Start }).ToArray()) : new JsonArray(),
            }),
        }).ToArray());
        File.WriteAllText(path, new JsonObject { ["version"] = "test", ["data"] = new JsonArray(new JsonObject { ["title"] = "t", ["paragraphs"] = paragraphs }) }.ToJsonString());
    }

    [Fact]
    public void TrainEvaluateAndPredictAnswers()
    {
        string data = TestPaths.NewTempDirectory(), outDir = TestPaths.NewTempDirectory();
        WriteSquad(Path.Combine(data, "train.json"), QuestionAnsweringTrainingTests.Questions(240, 1));
        var dev = QuestionAnsweringTrainingTests.Questions(40, 2).Select(q => q with { Id = "dev-" + q.Id }).ToList();
        WriteSquad(Path.Combine(data, "dev.json"), dev);
        WriteSquad(Path.Combine(data, "test.json"), dev.Take(5), answers: false);

        var train = Gau("train", "--task", "cmrc2018", "--data", data, "--config", "tiny", "--epochs", "4", "--max-length", "40",
            "--batch-size", "16", "--learning-rate", "2e-3", "--output", outDir, "--device", "cpu", "--seed", "1",
            "--mark-question-overlap", "--max-answer-length", "12", "--document-stride", "16");
        output.WriteLine(train.Out);
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("epoch 4/4: dev F1", train.Out);
        Assert.Contains("over 40 questions (CMRC 2018's metric)", train.Out);
        using (var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json"))))
        {
            Assert.Equal("cmrc2018", metrics.RootElement.GetProperty("task").GetString());
            Assert.True(metrics.RootElement.GetProperty("dev").GetProperty("F1").GetDouble() > 50); // a random span scores about 5
        }

        string scores = Path.Combine(outDir, "scores.jsonl");
        var evaluate = Gau("evaluate", "--task", "cmrc2018", "--data", data, "--model", outDir, "--scores", scores);
        Assert.True(evaluate.Code == 0, evaluate.Err);
        Assert.Contains("dev.json F1", evaluate.Out);
        // One line per window: its question, segments (2 marks the question's character pairs) and [n, 2] start/end scores.
        var windows = File.ReadAllLines(scores).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(dev.Select(q => q.Id), windows.Select(w => w.GetProperty("id").GetString()).Distinct());
        Assert.All(windows, w => Assert.Equal(2 * w.GetProperty("input_ids").GetArrayLength(), w.GetProperty("outputs").GetArrayLength()));
        Assert.All(windows, w => Assert.True(w.GetProperty("input_ids").GetArrayLength() <= 40));
        // A question that repeats the context's first three characters: the model was trained with overlap marks, so they carry segment 2.
        string echo = Path.Combine(data, "echo.json");
        WriteSquad(echo, [dev[0] with { Question = dev[0].Context[..3] + "是什么？" }]);
        Assert.Equal(0, Gau("evaluate", "--task", "cmrc2018", "--file", echo, "--model", outDir, "--scores", scores).Code);
        var first = JsonDocument.Parse(File.ReadLines(scores).First()).RootElement;
        int context = first.GetProperty("input_ids").EnumerateArray().Select(t => t.GetInt32()).ToList().IndexOf(3) + 1; // after the question's [SEP]
        Assert.Equal([2, 2, 2, 1], first.GetProperty("token_type_ids").EnumerateArray().Skip(context).Take(4).Select(t => t.GetInt32()));

        var misplaced = Gau("train", "--task", "tnews", "--data", data, "--mark-question-overlap", "--output", TestPaths.NewTempDirectory());
        Assert.NotEqual(0, misplaced.Code);
        Assert.Contains("are for --task cmrc2018", misplaced.Err);

        var predict = Gau("predict", "--task", "cmrc2018", "--data", data, "--model", outDir, "--output", outDir);
        Assert.True(predict.Code == 0, predict.Err);
        var answers = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(outDir, "cmrc2018_predict.json")))!;
        Assert.Equal(dev.Take(5).Select(q => q.Id), answers.Keys);
        var onTest = Cmrc2018Metric.Score(answers, dev.Take(5).ToDictionary(q => q.Id, q => (IReadOnlyList<string>)[q.Answers[0].Text]));
        Assert.True(onTest.F1 > 60, string.Join(", ", dev.Take(5).Select(q => $"{q.Answers[0].Text} → {answers[q.Id]}"))); // a random span scores about 5

        var one = Gau("predict", "--task", "cmrc2018", "--model", outDir, "--text", "天地玄黄【丙丁】宇宙洪荒", "--question", "名字是什么？");
        Assert.True(one.Code == 0, one.Err);
        output.WriteLine(one.Out);
        var noQuestion = Gau("predict", "--task", "cmrc2018", "--model", outDir, "--text", "天地玄黄");
        Assert.NotEqual(0, noQuestion.Code);
        Assert.Contains("needs --question", noQuestion.Err);
    }

    [Fact]
    public void InTaskPretrainingRunsFirstAndAResumeReusesIt()
    {
        string data = TestPaths.NewTempDirectory(), outDir = TestPaths.NewTempDirectory();
        WriteSquad(Path.Combine(data, "train.json"), QuestionAnsweringTrainingTests.Questions(60, 1));
        string config = Path.Combine(data, "two-layers.json"); // --config takes an architecture file as well as a preset's name
        File.WriteAllText(config, (GauMLNet.Configuration.GauAlphaConfig.Tiny with { NumHiddenLayers = 2, HiddenSize = 64, EmbeddingSize = 64 }).ToJson());
        string[] args = ["train", "--task", "cmrc2018", "--data", data, "--config", config, "--epochs", "1", "--max-length", "40", "--batch-size", "16",
            "--output", outDir, "--device", "cpu", "--seed", "1", "--pretrain-steps", "6", "--pretrain-max-length", "32"];
        var run = Gau(args);
        output.WriteLine(run.Out);
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("in-task pretraining: 61 training texts", run.Out); // 60 contexts and the one question they share
        Assert.Contains("sequences of up to 32 tokens", run.Out);
        Assert.Contains("6 steps", run.Out);
        Assert.Contains("6 masked-LM steps at learning rate 0.001", run.Out);
        using (var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")))) // no dev set: its figures are null, not NaN
            Assert.Equal(JsonValueKind.Null, metrics.RootElement.GetProperty("dev_questions_per_second").ValueKind);
        string pretrained = Path.Combine(outDir, "pretrained");
        Assert.True(File.Exists(Path.Combine(pretrained, "model.safetensors")) && File.Exists(Path.Combine(pretrained, "pretrain-metrics.json")));
        var saved = GauMLNet.Configuration.GauAlphaConfig.Load(Path.Combine(pretrained, "config.json"));
        Assert.Equal((2, 64), (saved.NumHiddenLayers, saved.HiddenSize));

        var resumed = Gau([.. args, "--resume"]);
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("in-task pretraining: done before with this command's texts and settings", resumed.Out);
        // A finished pretraining is reused only for the command that made it, fine-tuning checkpoint or not.
        var otherRateAfter = Gau([.. args, "--pretrain-learning-rate", "0.002", "--resume"]);
        Assert.NotEqual(0, otherRateAfter.Code);
        Assert.Contains("learning_rate: checkpoint 0.001, this run 0.002", otherRateAfter.Err);

        // Stopped during pretraining (its metrics not yet written, no fine-tuning checkpoint): --resume continues it.
        File.Delete(Path.Combine(pretrained, "pretrain-metrics.json"));
        Directory.Delete(Path.Combine(outDir, "checkpoints"), recursive: true);
        var continued = Gau([.. args, "--resume"]);
        Assert.True(continued.Code == 0, continued.Err);
        Assert.Contains("resumed from", continued.Out);
        Assert.Contains("step 6 of 6", continued.Out);
        Assert.True(File.Exists(Path.Combine(pretrained, "pretrain-metrics.json")));

        // Stopped after pretraining finished, before fine-tuning's first checkpoint: --resume checks the pretraining against
        // this command (a different packing of the texts is refused, naming it), then fine-tunes from epoch 1.
        Directory.Delete(Path.Combine(outDir, "checkpoints"), recursive: true);
        File.Delete(Path.Combine(outDir, "model.zip"));
        var changed = Gau([.. args.Select(a => a == "32" ? "24" : a), "--resume"]);
        Assert.NotEqual(0, changed.Code);
        Assert.Contains("corpus", changed.Err);
        var otherRate = Gau([.. args, "--pretrain-learning-rate", "0.002", "--resume"]); // the pretraining's own rate is checked too
        Assert.NotEqual(0, otherRate.Code);
        Assert.Contains("learning_rate", otherRate.Err);
        var spans = Gau([.. args, "--pretrain-max-span-length", "4", "--resume"]); // and its masking
        Assert.NotEqual(0, spans.Code);
        Assert.Contains("max_span_length", spans.Err);
        var between = Gau([.. args, "--resume"]);
        Assert.True(between.Code == 0, between.Err);
        Assert.Contains("done before with this command's texts and settings", between.Out);
        Assert.True(File.Exists(Path.Combine(outDir, "model.zip")) && GauMLNet.TorchSharp.Training.TrainingCheckpoint.Exists(Path.Combine(outDir, "checkpoints")));
        // The weights themselves are those the pretraining finished with: a changed file is refused, naming it.
        string weights = Path.Combine(pretrained, "model.safetensors"), mark = Path.Combine(pretrained, "pretrain-metrics.json");
        byte[] original = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, [.. original.Take(original.Length - 1), (byte)(original[^1] ^ 1)]);
        var swapped = Gau([.. args, "--resume"]);
        Assert.Equal(65, swapped.Code);
        Assert.Contains("model.safetensors is not the file in-task pretraining finished with", swapped.Err);
        Assert.Contains("rerun without --resume", swapped.Err);
        File.WriteAllBytes(weights, original);
        var metricsNode = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(mark))!.AsObject();
        Assert.Equal(64, metricsNode["weights_sha256"]!.GetValue<string>().Length);
        metricsNode.Remove("weights_sha256"); // a mark written before the hash was: reused, and said to be unchecked
        File.WriteAllText(mark, metricsNode.ToJsonString());
        var olderMark = Gau([.. args, "--resume"]);
        Assert.True(olderMark.Code == 0, olderMark.Err);
        Assert.Contains("names no weights hash (written by an older gau)", olderMark.Out);
        Directory.Delete(Path.Combine(pretrained, "pretrain-checkpoint"), recursive: true); // nothing left to check against: said, not hidden
        var reusedUnchecked = Gau([.. args, "--resume"]);
        Assert.True(reusedUnchecked.Code == 0, reusedUnchecked.Err);
        Assert.Contains("its checkpoint", reusedUnchecked.Out);
        Assert.Contains("is gone, so its texts and settings cannot be checked", reusedUnchecked.Out);
        Directory.Delete(Path.Combine(outDir, "checkpoints"), recursive: true); // and no fine-tuning checkpoint either: the finished pretraining is still reused
        File.Delete(Path.Combine(outDir, "model.zip"));
        var reusedBeforeFineTuning = Gau([.. args, "--resume"]);
        Assert.True(reusedBeforeFineTuning.Code == 0, reusedBeforeFineTuning.Err);
        Assert.Contains("is gone, so its texts and settings cannot be checked", reusedBeforeFineTuning.Out);
        Assert.True(File.Exists(Path.Combine(outDir, "model.zip")));

        var withModel = Gau("train", "--task", "cmrc2018", "--data", data, "--model", pretrained, "--pretrain-steps", "6", "--output", TestPaths.NewTempDirectory());
        Assert.NotEqual(0, withModel.Code);
        Assert.Contains("--pretrain-steps pretrains a model from scratch", withModel.Err);
        var zeroRate = Gau("train", "--task", "cmrc2018", "--data", data, "--pretrain-steps", "6", "--pretrain-learning-rate", "0", "--output", TestPaths.NewTempDirectory());
        Assert.NotEqual(0, zeroRate.Code);
        Assert.Contains("--pretrain-learning-rate must be a positive number", zeroRate.Err);
        var zeroSpan = Gau("train", "--task", "cmrc2018", "--data", data, "--pretrain-steps", "6", "--pretrain-max-span-length", "0", "--output", TestPaths.NewTempDirectory());
        Assert.NotEqual(0, zeroSpan.Code);
        Assert.Contains("--pretrain-max-span-length must be at least 1", zeroSpan.Err);

        string broken = Path.Combine(data, "broken.json");
        File.WriteAllText(broken, "{\"hidden_size\": \"wide\"}");
        var badConfig = Gau("train", "--task", "cmrc2018", "--data", data, "--config", broken, "--output", TestPaths.NewTempDirectory());
        Assert.NotEqual(0, badConfig.Code);
        Assert.Contains("broken.json", badConfig.Err);
        Assert.DoesNotContain("   at ", badConfig.Err);
    }

    [Fact]
    public void OversamplingRepeatsTheMatchingQuestionsAndAResumeChecksIt()
    {
        string data = TestPaths.NewTempDirectory(), outDir = TestPaths.NewTempDirectory();
        var questions = QuestionAnsweringTrainingTests.Questions(24, 3).Select((q, i) => i % 3 == 0 ? q with { Id = "IN-" + q.Id } : q).ToList();
        WriteSquad(Path.Combine(data, "train.json"), questions);
        string[] Train(params string[] more) => ["train", "--task", "cmrc2018", "--data", data, "--config", "tiny", "--epochs", "1", "--max-length", "128",
            "--batch-size", "8", "--output", outDir, "--device", "cpu", "--seed", "1", .. more];

        var run = Gau(Train("--oversample", "IN-=3", "--train-windows-without-answer"));
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("oversampling: the 8 questions whose id starts with 'IN-' are trained 3 times per epoch (40 training questions per epoch)", run.Out);
        Assert.Contains("0 of 40 training windows", run.Out); // one window a question: the copies are trained, not only announced

        var without = Gau([.. Train("--train-windows-without-answer"), "--resume"]);
        Assert.NotEqual(0, without.Code);
        Assert.Contains("oversample: checkpoint IN-=3, this run (absent)", without.Err);

        var noMatch = Gau(Train("--oversample", "TRIAL=3"));
        Assert.Equal(ExitCodes.Usage, noMatch.Code);
        Assert.Contains($"--oversample: no question of {Path.Combine(data, "train.json")} has an id starting with 'TRIAL'.", noMatch.Err);
        foreach (string bad in new[] { "IN-", "IN-=1", "=3", "IN-=2.5", "IN-=-2" })
        {
            var refused = Gau(Train("--oversample", bad));
            Assert.Equal(ExitCodes.Usage, refused.Code);
            Assert.Contains($"--oversample must be ID_PREFIX=TIMES with TIMES a whole number of 2 or more (e.g. TRIAL=3), got '{bad}'.", refused.Err);
        }
        var misplaced = Gau("train", "--task", "tnews", "--data", data, "--oversample", "IN-=3", "--output", TestPaths.NewTempDirectory());
        Assert.Contains("--oversample, --cloze-questions, --cloze-epochs and --members are for --task cmrc2018", misplaced.Err);
    }

    [Fact]
    public void ClozeQuestionsComeBeforeTheRealOnesAndAResumeReusesOrRefusesThem()
    {
        string data = TestPaths.NewTempDirectory(), outDir = TestPaths.NewTempDirectory();
        string[] names = ["星河学会", "青松基金会", "远山书院", "白鹭乐团", "长风研究所", "明湖俱乐部"];
        var questions = names.Select((name, i) =>
        {
            string year = $"{1950 + 7 * i}", context = $"{name}成立于{year}年，总部位于海港市。{name}每年举行一次大会，参加者超过{120 + i}人，大会讨论新的计划。";
            return new QuestionAnsweringExample($"q{i}", context, $"{name}创办于哪一年？", [new AnswerSpan(year, context.IndexOf(year, StringComparison.Ordinal))]);
        }).ToList();
        WriteSquad(Path.Combine(data, "train.json"), questions);
        string[] args = ["train", "--task", "cmrc2018", "--data", data, "--config", "tiny", "--epochs", "1", "--max-length", "64", "--batch-size", "8",
            "--output", outDir, "--device", "cpu", "--seed", "1", "--cloze-questions", "3"];

        var run = Gau(args);
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("cloze questions: 18 made from 6 training contexts (up to 3 each), trained for 1 epoch before the real questions", run.Out);
        Assert.Contains($"windows/s); wrote {Path.Combine(outDir, "cloze")}", run.Out);
        string cloze = Path.Combine(outDir, "cloze");
        Assert.True(File.Exists(Path.Combine(cloze, "model.safetensors")) && File.Exists(Path.Combine(cloze, "cloze.json")));
        using (var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")))) // the real questions started from the stage's model
            Assert.Equal(cloze, metrics.RootElement.GetProperty("model").GetString());
        // From scratch, the vocabulary is built from the real questions and contexts (创 occurs only in the real questions).
        Assert.Contains("创", File.ReadAllLines(Path.Combine(cloze, "vocab.txt")));

        // A finished stage is reused by the same command (its fine-tuning checkpoint resumes), and refused for another.
        var resumed = Gau([.. args, "--resume"]);
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("cloze questions: done before with this command's settings", resumed.Out);
        var sameRate = Gau([.. args, "--learning-rate", "0.001", "--resume"]); // from scratch, both stages trained at 1e-3 (not a checkpoint's 2e-5)
        Assert.True(sameRate.Code == 0, sameRate.Err);
        var more = Gau([.. args.Select(a => a == "3" ? "4" : a), "--resume"]);
        Assert.Equal(ExitCodes.Usage, more.Code);
        Assert.Contains("cloze_questions_per_context: stage 3, this run 4", more.Err);
        var otherSeed = Gau([.. args.Select(a => a == "1" ? "2" : a), "--resume"]);
        Assert.Equal(ExitCodes.Usage, otherSeed.Code);
        Assert.Contains("seed: stage 1, this run 2", otherSeed.Err);

        string weights = Path.Combine(cloze, "model.safetensors");
        byte[] original = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, [.. original.Take(original.Length - 1), (byte)(original[^1] ^ 1)]);
        var swapped = Gau([.. args, "--resume"]);
        Assert.Equal(ExitCodes.DataError, swapped.Code);
        Assert.Contains("model.safetensors is not the file the cloze stage finished with", swapped.Err);
        File.WriteAllBytes(weights, original);

        // Stopped inside the stage (its record not yet written): --resume runs it again, and fine-tuning starts afresh.
        File.Delete(Path.Combine(cloze, "cloze.json"));
        var again = Gau([.. args, "--resume"]);
        Assert.True(again.Code == 0, again.Err);
        Assert.Contains("the stage did not finish before (it keeps no checkpoint); running it again", again.Out);
        Assert.Contains("fine-tuning starts afresh", again.Out);
        Assert.Equal(original, File.ReadAllBytes(weights)); // the same stage again: the same weights

        var noEpochs = Gau([.. args, "--cloze-epochs", "0"]);
        Assert.Equal(ExitCodes.Usage, noEpochs.Code);
        Assert.Contains("--cloze-epochs must be at least 1", noEpochs.Err);
    }

    [Fact]
    public void MembersTrainTheRecipeWithSuccessiveSeedsIntoOneModelThatAveragesTheirLogits()
    {
        string data = TestPaths.NewTempDirectory(), outDir = TestPaths.NewTempDirectory();
        WriteSquad(Path.Combine(data, "train.json"), QuestionAnsweringTrainingTests.Questions(120, 1));
        WriteSquad(Path.Combine(data, "dev.json"), QuestionAnsweringTrainingTests.Questions(30, 2).Select(q => q with { Id = "dev-" + q.Id }));
        string[] args = ["train", "--task", "cmrc2018", "--data", data, "--config", "tiny", "--epochs", "2", "--max-length", "40", "--batch-size", "16",
            "--learning-rate", "2e-3", "--output", outDir, "--device", "cpu", "--seed", "5", "--document-stride", "16", "--members", "2"];

        var run = Gau(args);
        output.WriteLine(run.Out);
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains($"member 1 of 2: seed 5, into {Path.Combine(outDir, "member-1")}", run.Out);
        Assert.Contains($"member 2 of 2: seed 6, into {Path.Combine(outDir, "member-2")}", run.Out);
        Assert.True(File.Exists(Path.Combine(outDir, "member-1", "model.zip")) && File.Exists(Path.Combine(outDir, "member-2", "model.zip")));
        double F1(string metricsPath) => JsonDocument.Parse(File.ReadAllText(metricsPath)).RootElement.GetProperty("dev").GetProperty("F1").GetDouble();
        double averageF1 = F1(Path.Combine(outDir, "metrics.json"));
        using (var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json"))))
        {
            var members = metrics.RootElement.GetProperty("members").EnumerateArray().ToList();
            Assert.Equal([5, 6], members.Select(m => m.GetProperty("seed").GetInt32()));
            Assert.Equal([F1(Path.Combine(outDir, "member-1", "metrics.json")), F1(Path.Combine(outDir, "member-2", "metrics.json"))],
                members.Select(m => m.GetProperty("dev").GetProperty("F1").GetDouble()));
        }
        Assert.Contains($"dev, the mean of 2 members' logits, F1 {averageF1:F2}", run.Out);

        var evaluate = Gau("evaluate", "--task", "cmrc2018", "--data", data, "--model", outDir);
        Assert.True(evaluate.Code == 0, evaluate.Err);
        Assert.Contains("with the mean of 2 networks' logits", evaluate.Out);
        Assert.Contains($"dev.json F1 {averageF1:F2}", evaluate.Out);

        // Resumed with member 2 lost: member 1 is reloaded from its checkpoints, member 2 trained again, the same average.
        Directory.Delete(Path.Combine(outDir, "member-2"), recursive: true);
        var resumed = Gau([.. args, "--resume"]);
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("member 1 of 2: seed 5, into " + Path.Combine(outDir, "member-1") + " (resumed)", resumed.Out);
        Assert.Contains("member 2 of 2: seed 6, into " + Path.Combine(outDir, "member-2") + Environment.NewLine, resumed.Out);
        Assert.Equal(averageF1, F1(Path.Combine(outDir, "metrics.json")));

        var export = Gau("export", "--model", outDir, "--output", TestPaths.NewTempDirectory());
        Assert.NotEqual(0, export.Code);
        Assert.Contains("averages 2 networks; export writes one network's graph", export.Err);
        Assert.DoesNotContain("   at ", export.Err);
        var pytorch = Gau("export", "--model", outDir, "--format", "pytorch", "--output", TestPaths.NewTempDirectory());
        Assert.NotEqual(0, pytorch.Code);
        Assert.Contains("averages 2 networks, and a PyTorch export takes one", pytorch.Err);
        string empty = TestPaths.NewTempDirectory();
        var nothing = Gau([.. args.Select(a => a == outDir ? empty : a), "--resume"]);
        Assert.Equal(ExitCodes.Usage, nothing.Code);
        Assert.Contains($"--resume: there is no member checkpoint in {empty}", nothing.Err);
        var none = Gau([.. args[..^1], "0"]);
        Assert.Equal(ExitCodes.Usage, none.Code);
        Assert.Contains("--members must be at least 1", none.Err);
    }

    [Fact]
    public void AMisplacedAnswerNamesItsQuestionWithoutAStackTrace()
    {
        string data = TestPaths.NewTempDirectory();
        var questions = QuestionAnsweringTrainingTests.Questions(3, 1);
        questions[1] = questions[1] with { Id = "Q-17", Answers = [new AnswerSpan(questions[1].Answers[0].Text, questions[1].Answers[0].Start + 1)] };
        WriteSquad(Path.Combine(data, "train.json"), questions);
        var run = Gau("train", "--task", "cmrc2018", "--data", data, "--config", "tiny", "--epochs", "1", "--output", TestPaths.NewTempDirectory(), "--device", "cpu");
        Assert.NotEqual(0, run.Code);
        Assert.Contains("question 'Q-17': answer_start", run.Err);
        Assert.DoesNotContain("   at ", run.Err);
    }
}
