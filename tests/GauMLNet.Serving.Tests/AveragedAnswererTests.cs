using GauMLNet.MLNet;
using GauMLNet.Serving.Tests.Support;
using GauMLNet.TorchSharp;
using Microsoft.ML;

namespace GauMLNet.Serving.Tests;

/// <summary>A scorer serves one network: a model.zip that averages several question answerers is refused, not served as its first.</summary>
public sealed class AveragedAnswererTests
{
    public sealed class QaRow
    {
        public string Context { get; set; } = "";
        public string Question { get; set; } = "";
        public string TrainingAnswer { get; set; } = "";
        public int AnswerIndex { get; set; }
    }

    private static GauQuestionAnsweringTransformer Fit(MLContext ml, IDataView rows, int seed) =>
        ml.MulticlassClassification.Trainers.GauQuestionAnswering(new GauQuestionAnsweringOptions
        {
            Config = TrainedModels.Config,
            MaxLength = 32,
            Epochs = 1,
            BatchSize = 8,
            Device = "cpu",
            Seed = seed,
        }).Fit(rows);

    [Fact]
    public void AModelThatAveragesSeveralNetworksIsRefusedNamingItsPath()
    {
        var ml = new MLContext(seed: 1);
        string[] names = ["丙丁", "戊己", "庚辛", "壬癸"];
        var rows = ml.Data.LoadFromEnumerable(names.Select(n => new QaRow
        {
            Context = $"天地玄黄，{n}宇宙洪荒。",
            Question = "名字是什么？",
            TrainingAnswer = n,
            AnswerIndex = 5,
        }).ToList());
        using var average = GauQuestionAnsweringTransformer.Average([Fit(ml, rows, 1), Fit(ml, rows, 2)]);
        string path = Path.Combine(Path.GetTempPath(), "gaumlnet-serving-tests", Guid.NewGuid().ToString("N"), "average.zip");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        ml.Model.Save(average, rows.Schema, path);

        var refused = Assert.Throws<InvalidDataException>(() => GauModelLoading.Load(new GauScoringOptions { ModelPath = path, MLContext = ml }));
        Assert.Equal($"{path} averages 2 networks; a scorer serves exactly one.", refused.Message);
    }
}
