using GauMLNet.MLNet;
using GauMLNet.Onnx;
using GauMLNet.Storage;
using GauMLNet.Tests.Support;
using GauMLNet.Tests.Training;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace GauMLNet.Tests.MLNet;

/// <summary>
/// GauQuestionAnswering as an ML.NET user meets it: the anchor's column names, Fit with a validation set, Transform,
/// EvaluateQuestionAnswering, PredictionEngine, Save/Load and ONNX Runtime, all giving the same answers.
/// </summary>
[Collection(GlobalTorchRngCollection.Name)]
public sealed class QuestionAnsweringTests(ITestOutputHelper output)
{
    public sealed class QaRow
    {
        public string Context { get; set; } = "";
        public string Question { get; set; } = "";
        public string TrainingAnswer { get; set; } = "";
        public int AnswerIndex { get; set; }
    }

    public sealed class QaInput
    {
        public string Context { get; set; } = "";
        public string Question { get; set; } = "";
    }

    public sealed class QaOutput
    {
        public string[] Answer { get; set; } = [];
        public float[] Score { get; set; } = [];
    }

    private static List<QaRow> Rows(int count, int seed) => QuestionAnsweringTrainingTests.Questions(count, seed)
        .Select(q => new QaRow { Context = q.Context, Question = q.Question, TrainingAnswer = q.Answers[0].Text, AnswerIndex = q.Answers[0].Start }).ToList();

    private static GauQuestionAnsweringOptions Options(IDataView? validation) => new()
    {
        Config = TextClassificationTests.TestConfig,
        MaxLength = 40,
        DocumentStride = 16,
        MaxQuestionLength = 8,
        MaxAnswerLength = 8,
        Epochs = 6,
        BatchSize = 16,
        LearningRate = 2e-3,
        Device = "cpu",
        ValidationSet = validation,
    };

    [Fact]
    public void FitsScoresEvaluatesSavesAndMovesToOnnxRuntime()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Rows(240, 1));
        var dev = ml.Data.LoadFromEnumerable(Rows(60, 2));
        var model = ml.MulticlassClassification.Trainers.GauQuestionAnswering(Options(dev)).Fit(train);
        output.WriteLine($"validation F1 per epoch: {string.Join(" ", model.TrainingResult!.ValidationMetrics.Select(m => (100 * m).ToString("F1")))}");

        var scored = model.Transform(dev);
        Assert.IsType<VectorDataViewType>(scored.Schema["Answer"].Type);
        var metrics = ml.MulticlassClassification.EvaluateQuestionAnswering(scored);
        output.WriteLine($"dev EM {metrics.ExactMatch:F1}, F1 {metrics.F1:F1} over {metrics.Questions} questions");
        Assert.Equal(60, metrics.Questions);
        Assert.True(metrics.F1 > 90, $"dev F1 {metrics.F1:F1}");
        Assert.Equal(model.TrainingResult.BestValidationMetric!.Value * 100, metrics.F1, 6); // the validation metric is this evaluation (as a fraction)

        var answers = scored.GetColumn<VBuffer<ReadOnlyMemory<char>>>("Answer").Select(v => v.DenseValues().Select(a => a.ToString()).ToArray()).ToArray();
        var scores = scored.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();
        Assert.All(answers, a => Assert.Equal(3, a.Length)); // TopK
        Assert.All(scores, s => Assert.True(s[0] >= s[1] && s[1] >= s[2]));

        var question = new QaInput { Context = "天地玄黄【丙丁】宇宙洪荒", Question = "名字是什么？" };
        var engine = ml.Model.CreatePredictionEngine<QaInput, QaOutput>(model);
        var predicted = engine.Predict(question);
        Assert.Equal(model.Answer([(question.Context, question.Question)])[0].Select(a => a.Text), predicted.Answer);
        output.WriteLine($"'{question.Context}' → {string.Join(" | ", predicted.Answer)}");

        string path = Path.Combine(TestPaths.NewTempDirectory(), "qa.zip");
        ml.Model.Save(model, train.Schema, path);
        var loaded = ml.Model.Load(path, out _);
        var reloaded = loaded.Transform(dev).GetColumn<VBuffer<ReadOnlyMemory<char>>>("Answer").Select(v => v.DenseValues().Select(a => a.ToString()).ToArray()).ToArray();
        Assert.Equal(answers, reloaded);

        var onnx = model.ToOnnxRuntime();
        var onOnnx = onnx.Transform(dev).GetColumn<VBuffer<ReadOnlyMemory<char>>>("Answer").Select(v => v.DenseValues().Select(a => a.ToString()).ToArray()[0]).ToArray();
        Assert.Equal(answers.Select(a => a[0]), onOnnx);
    }

    [Fact]
    public void AnAverageOfAnswerersDecodesTheMeanOfTheirLogitsThroughSaveLoadPredictionEngineAndOnnxRuntime()
    {
        var train = Rows(120, 7);
        var dev = new MLContext().Data.LoadFromEnumerable(Rows(30, 8));
        var ml = new MLContext(seed: 1);
        GauQuestionAnsweringTransformer Fit(MLContext context, int seed) =>
            context.MulticlassClassification.Trainers.GauQuestionAnswering(Options(null) with { Epochs = 2, Seed = seed }).Fit(context.Data.LoadFromEnumerable(train));
        var (a, b) = (Fit(ml, 1), Fit(new MLContext(seed: 2), 2));
        var questions = Rows(30, 8).Select((r, i) => new GauMLNet.QuestionAnswering.QuestionAnsweringExample($"q{i}", r.Context, r.Question, [])).ToList();
        var (passA, passB) = (QuestionAnswerer.Run(a.Models, questions), QuestionAnswerer.Run(b.Models, questions));

        var average = GauQuestionAnsweringTransformer.Average([a, b]);
        Assert.Equal([a.Model, b.Model], average.Models);
        // The expected answers: the two networks' window logits, averaged here, decoded as one network's would be.
        var mean = passA.Outputs.Select((o, k) => Enumerable.Range(0, 2 * passA.Windows[k].Input.Length).Select(i => (o[i] + passB.Outputs[k][i]) / 2).ToArray()).ToArray();
        var settings = a.Model.Spec.QuestionAnswering!;
        var expected = GauMLNet.QuestionAnswering.QuestionAnswers.Decode(passA.Windows, mean, questions.Count, settings.MaxAnswerTokens, settings.TopK);
        var answered = average.Answer(questions.Select(q => (q.Context, q.Question)).ToList());
        Assert.Equal(expected.Select(e => e.Select(c => (c.Text, c.Start))), answered.Select(e => e.Select(c => (c.Text, c.Start))));
        Assert.Equal(expected.SelectMany(e => e.Select(c => c.Score)), answered.SelectMany(e => e.Select(c => c.Score)), (x, y) => Math.Abs(x - y) <= 1e-5);
        Assert.Contains(Enumerable.Range(0, questions.Count), i => Math.Abs(answered[i][0].Score - passA.Answers[i][0].Score) > 1e-3); // not one member's

        string path = Path.Combine(TestPaths.NewTempDirectory(), "average.zip");
        ml.Model.Save(average, dev.Schema, path);
        var loaded = Assert.IsType<GauQuestionAnsweringTransformer>(ml.Model.Load(path, out _));
        Assert.Equal(2, loaded.Models.Count);
        string[] Top(ITransformer model) => model.Transform(dev).GetColumn<VBuffer<ReadOnlyMemory<char>>>("Answer").Select(v => v.DenseValues().First().ToString()).ToArray();
        Assert.Equal(answered.Select(e => e[0].Text), Top(loaded));
        var engine = ml.Model.CreatePredictionEngine<QaInput, QaOutput>(loaded);
        var predicted = engine.Predict(new QaInput { Context = questions[0].Context, Question = questions[0].Question });
        Assert.Equal(answered[0].Select(c => c.Text), predicted.Answer);

        var onnx = Assert.IsType<GauQuestionAnsweringTransformer>(average.ToOnnxRuntime());
        Assert.Equal(2, onnx.Models.Count);
        Assert.Equal(answered.Select(e => e[0].Text), Top(onnx));

        // One graph or one checkpoint cannot hold two networks: refused, not the first network silently.
        Assert.Contains("averages 2 networks", Assert.Throws<InvalidOperationException>(() => average.ExportToOnnx(Path.Combine(TestPaths.NewTempDirectory(), "qa.onnx"))).Message);
        Assert.Contains("averages 2 networks", Assert.Throws<InvalidOperationException>(() => average.SaveCheckpoint(TestPaths.NewTempDirectory())).Message);
        Assert.Contains("averages 2 networks", Assert.Throws<InvalidOperationException>(() => average.WithModel(a.Model)).Message);
        var strided = a.Model.Package.With(a.Model.Spec with { QuestionAnswering = settings with { DocumentStride = settings.DocumentStride + 1 } });
        var other = (GauQuestionAnsweringTransformer)b.WithModel(GauMLNet.Scoring.GauTaskModel.Load(strided));
        var refused = Assert.Throws<ArgumentException>(() => GauQuestionAnsweringTransformer.Average([a, other]));
        Assert.Contains("Network 2", refused.Message);
        Assert.Contains("cuts or decodes windows otherwise", refused.Message);
        average.Dispose();
        other.Dispose();
    }

    [Fact]
    public void FineTuningACheckpointWithQuestionOverlapMarksGrowsItsSegmentsFromSegmentOne()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Rows(64, 4));
        var first = ml.MulticlassClassification.Trainers.GauQuestionAnswering(Options(null) with { Epochs = 1 }).Fit(train);
        string checkpoint = Path.Combine(TestPaths.NewTempDirectory(), "pytorch");
        ml.Model.ExportToPyTorch(first, checkpoint);
        Assert.Equal(2, first.Model.Config.TypeVocabSize);

        // A learning rate of 1e-30 leaves the weights where they started: the checkpoint's, with a third segment.
        var notices = new List<string>();
        var marked = ml.MulticlassClassification.Trainers.GauQuestionAnswering(Options(null) with
        {
            ModelDirectory = checkpoint,
            Config = null,
            Epochs = 1,
            LearningRate = 1e-30,
            MarkQuestionOverlap = true,
            Log = notices.Add,
        }).Fit(train);
        Assert.Equal(3, marked.Model.Config.TypeVocabSize);
        Assert.True(marked.Model.Spec.QuestionAnswering!.MarkQuestionOverlap);
        Assert.Contains(notices, n => n.Contains("question-overlap marks add a third, starting as a copy of segment 1", StringComparison.Ordinal));
        const string name = "gau_alpha.embeddings.token_type_embeddings.weight";
        var saved = SafeTensorsFile.Read(Path.Combine(checkpoint, "model.safetensors"))[name];
        var grown = SafeTensorsFile.Read(marked.Model.Package.Weights!, "marked")[name];
        Assert.Equal([2L, saved.Shape[1]], saved.Shape);
        Assert.Equal([3L, saved.Shape[1]], grown.Shape);
        var (before, after) = (saved.ToFloat32(), grown.ToFloat32());
        int d = (int)saved.Shape[1];
        Assert.Equal(before, after[..(2 * d)]);
        Assert.Equal(before[d..], after[(2 * d)..]);

        // The marked model's windows carry segment 2, and ONNX Runtime reads them as TorchSharp does.
        var questions = Rows(12, 5).Select(r => (r.Context, r.Question)).ToList();
        var onTorch = marked.Answer(questions);
        var onOnnx = ((GauQuestionAnsweringTransformer)marked.ToOnnxRuntime()).Answer(questions);
        Assert.Equal(onTorch.Select(a => a[0].Text), onOnnx.Select(a => a[0].Text));
        Assert.Equal(onTorch.Select(a => a[0].Score), onOnnx.Select(a => a[0].Score), (x, y) => Math.Abs(x - y) <= 1e-4);
    }

    [Fact]
    public void WindowsWithoutTheirAnswerAreTrainedToPointAtCls()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(48, 6);
        var notices = new List<string>();
        var model = ml.MulticlassClassification.Trainers.GauQuestionAnswering(Options(null) with
        {
            Epochs = 3,
            TrainWindowsWithoutAnswer = true,
            Log = notices.Add,
        }).Fit(ml.Data.LoadFromEnumerable(rows));
        var notice = Assert.Single(notices, n => n.Contains("training windows hold none of their answer", StringComparison.Ordinal));
        var counts = System.Text.RegularExpressions.Regex.Match(notice, @"(\d+) of (\d+) training windows");
        int without = int.Parse(counts.Groups[1].Value), all = int.Parse(counts.Groups[2].Value);
        output.WriteLine(notice);
        Assert.InRange(without, 1, all - rows.Count); // every question trains at least its answer's window

        // Trained with [CLS] as their target, the windows without the answer put more of their start mass there than
        // those with it: the model has learnt to say "not here".
        var pass = QuestionAnswerer.Run(model.Models, rows.Select((r, i) => new GauMLNet.QuestionAnswering.QuestionAnsweringExample($"q{i}", r.Context, r.Question,
            [new GauMLNet.QuestionAnswering.AnswerSpan(r.TrainingAnswer, r.AnswerIndex)])).ToList());
        var (windows, scores) = (pass.Windows, pass.Outputs);
        double ClsShare(int i)
        {
            var starts = Enumerable.Range(0, windows[i].ContextPosition + windows[i].ContextCount).Where(p => p == 0 || p >= windows[i].ContextPosition)
                .Select(p => Math.Exp(scores[i][2 * p])).ToList();
            return starts[0] / starts.Sum();
        }
        double withAnswer = windows.Select((w, i) => (w, i)).Where(p => p.w.Answer is not null).Average(p => ClsShare(p.i));
        double withoutAnswer = windows.Select((w, i) => (w, i)).Where(p => p.w.HoldsNoneOfAnswer).Average(p => ClsShare(p.i));
        output.WriteLine($"[CLS] share of the start softmax: {withAnswer:F3} with the answer, {withoutAnswer:F3} without");
        Assert.True(withoutAnswer > 0.5 && withAnswer < 0.1, $"{withoutAnswer} without the answer, {withAnswer} with it");
    }

    [Fact]
    public void AnAnswerIndexThatMissesItsAnswerNamesTheRow()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(5, 3);
        rows[3].AnswerIndex += 1;
        var error = Assert.Throws<InvalidDataException>(() => ml.MulticlassClassification.Trainers.GauQuestionAnswering(Options(null) with { Epochs = 1 }).Fit(ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("training row 4: AnswerIndex", error.Message);
    }
}
