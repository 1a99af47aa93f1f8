using GauMLNet.Clue;
using GauMLNet.Tests.Support;

namespace GauMLNet.Tests.Clue;

public class ClueDataReaderTests
{
    private static string Write(params string[] lines)
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "train.json");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void ReadsPairTasksAndDropsUnagreedNliRows()
    {
        string path = Write(
            """{"sentence1": "他来了", "sentence2": "他到了", "label": "entailment", "id": 7}""",
            """{"sentence1": "a", "sentence2": "b", "label": "-", "id": 8}""",
            "",
            """{"sentence1": "下雨了", "sentence2": "天晴了", "label": "contradiction", "id": 9}""");
        var result = ClueDataReader.Read(path, ClueTask.Get("ocnli"), requireLabels: true);
        Assert.Equal(2, result.Examples.Count);
        Assert.Equal(1, result.DroppedRows);
        Assert.Equal(("7", "他来了", "他到了", "entailment"), (result.Examples[0].Id, result.Examples[0].Sentence1, result.Examples[0].Sentence2, result.Examples[0].Label));
    }

    [Fact]
    public void NumericLabelsBecomeText()
    {
        string path = Write("""{"label": 102, "label_desc": "news_entertainment", "sentence": "电影上映", "keywords": "", "id": 3}""");
        var example = Assert.Single(ClueDataReader.Read(path, ClueTask.Get("tnews"), requireLabels: true).Examples);
        Assert.Equal("102", example.Label);
        Assert.Equal("电影上映", example.Sentence1);
    }

    [Fact]
    public void CslPairsTheKeywordsWithTheAbstract()
    {
        string path = Write("""{"id": 1, "abst": "本文研究图像分割。", "keyword": ["图像", "分割"], "label": "1"}""");
        var example = Assert.Single(ClueDataReader.Read(path, ClueTask.Get("csl"), requireLabels: true).Examples);
        Assert.Equal("图像；分割", example.Sentence1);
        Assert.Equal("本文研究图像分割。", example.Sentence2);
    }

    [Fact]
    public void WscMarksBothSpans()
    {
        string path = Write("""{"target": {"span2_index": 6, "span1_index": 0, "span1_text": "小明", "span2_text": "他"}, "idx": 4, "label": "true", "text": "小明很高兴，他赢了。"}""");
        var example = Assert.Single(ClueDataReader.Read(path, ClueTask.Get("cluewsc2020"), requireLabels: true).Examples);
        Assert.Equal("_小明_很高兴，[他]赢了。", example.Sentence1);
        Assert.Equal("4", example.Id);
    }

    [Fact]
    public void WscSpanThatIsNotAtItsIndexIsAnError()
    {
        string path = Write("""{"target": {"span2_index": 1, "span1_index": 0, "span1_text": "小明", "span2_text": "他"}, "idx": 4, "label": "true", "text": "小明很高兴"}""");
        var ex = Assert.Throws<ClueFormatException>(() => ClueDataReader.Read(path, ClueTask.Get("cluewsc"), requireLabels: true));
        Assert.Equal(1, ex.Line);
    }

    [Fact]
    public void MalformedLineNamesFileAndLineOrIsSkippedAndCounted()
    {
        string path = Write(
            """{"id": 0, "sentence": "好", "label": "Positive"}""",
            """{"id": 1, "sentence": "坏", "label": """,
            """{"id": 2, "sentence": "好", "label": "Positive"}""");
        var ex = Assert.Throws<ClueFormatException>(() => ClueDataReader.Read(path, ClueTask.Get("eprstmt"), requireLabels: true));
        Assert.Equal(2, ex.Line);
        Assert.StartsWith($"{path}:2:", ex.Message);

        var lenient = ClueDataReader.Read(path, ClueTask.Get("eprstmt"), requireLabels: true, skipBadLines: true);
        Assert.Equal(2, lenient.Examples.Count);
        Assert.Equal(1, lenient.SkippedBadLines);
    }

    [Fact]
    public void AnotherTasksFormatIsRecognised()
    {
        string path = Write("""{"id": 0, "sentence": "好", "label": "Positive"}""");
        var ex = Assert.Throws<ClueFormatException>(() => ClueDataReader.Read(path, ClueTask.Get("afqmc"), requireLabels: true));
        Assert.Contains("missing field(s) 'sentence1', 'sentence2'", ex.Message);
        Assert.Contains("another task's data", ex.Message);
    }

    [Fact]
    public void TestRowsKeepTheirIdWithoutALabel()
    {
        string path = Write("""{"id": 42, "sentence": "还行"}""");
        var example = Assert.Single(ClueDataReader.Read(path, ClueTask.Get("eprstmt"), requireLabels: false).Examples);
        Assert.Equal(("42", ""), (example.Id, example.Label));
        Assert.Throws<ClueFormatException>(() => ClueDataReader.Read(path, ClueTask.Get("eprstmt"), requireLabels: true));
    }

    [Fact]
    public void UnknownTaskListsTheKnownOnes() =>
        Assert.Contains("afqmc, tnews", Assert.Throws<ArgumentException>(() => ClueTask.Get("sst2")).Message);

    [SkippableTheory]
    [InlineData("eprstmt")]
    [InlineData("tnews")]
    [InlineData("bustm")]
    [InlineData("ocnli")]
    [InlineData("iflytek")]
    [InlineData("csl")]
    [InlineData("cluewsc")]
    public void ReadsEveryFewClueTaskInSharedData(string task)
    {
        string dir = Path.Combine(TestPaths.RequireShared(), "data", "fewclue", task);
        foreach (var split in new[] { ClueDataFolder.Split.Train, ClueDataFolder.Split.Dev })
        {
            var result = ClueDataReader.Read(ClueDataFolder.Require(dir, split), ClueTask.Get(task), requireLabels: true);
            Assert.True(result.Examples.Count > 100, $"{task} {split}: {result.Examples.Count} rows");
            Assert.Equal(0, result.SkippedBadLines);
        }
    }
}
