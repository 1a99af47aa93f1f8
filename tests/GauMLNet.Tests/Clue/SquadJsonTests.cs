using GauMLNet.Clue;
using GauMLNet.QuestionAnswering;
using GauMLNet.Tests.Support;

namespace GauMLNet.Tests.Clue;

/// <summary>SQuAD-style JSON (CMRC 2018): the shared data read whole, every answer checked, bad input named.</summary>
public sealed class SquadJsonTests
{
    private static string Write(string json)
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "train.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string File1(string context, string qas) =>
        $$"""{"version": "v1", "data": [{"title": "t", "paragraphs": [{"context": {{context}}, "qas": [{{qas}}]}]}]}""";

    [Fact]
    public void ReadsQuestionsAndCheckedAnswers()
    {
        string path = Write(File1("\"长江大桥位于南京。\"", """{"id": "Q1", "question": "长江大桥在哪里？", "answers": [{"text": "南京", "answer_start": 6}, {"text": "南京", "answer_start": 6}]}"""));
        var example = Assert.Single(SquadJson.Read(path, requireAnswers: true));
        Assert.Equal("Q1", example.Id);
        Assert.Equal("长江大桥在哪里？", example.Question);
        Assert.Equal(2, example.Answers.Count);
        Assert.Equal(new AnswerSpan("南京", 6), example.Answers[0]);
        Assert.Equal(8, example.Answers[0].End);
    }

    [Theory]
    [InlineData("\"长江大桥位于南京。\"", """{"id": "Q7", "question": "在哪？", "answers": [{"text": "南京", "answer_start": 5}]}""", "question 'Q7': answer_start 5 does not point at the answer '南京' (the context has '于南' there)")]
    [InlineData("\"长江大桥位于南京。\"", """{"id": "Q8", "question": "在哪？", "answers": [{"text": "南京", "answer_start": 40}]}""", "question 'Q8': answer_start 40 does not point at the answer '南京' (the context has 9 characters)")]
    [InlineData("\"  \"", """{"id": "Q1", "question": "在哪？", "answers": []}""", "article 1, paragraph 1: the context is empty")]
    [InlineData("\"南京\"", """{"id": "Q1", "question": "在哪？", "answers": []}""", "question 'Q1': no answer")]
    [InlineData("\"南京\"", """{"id": "Q1", "question": "哪？", "answers": [{"text": "南京"}]}""", "question 'Q1': the answer '南京' has no integer \"answer_start\"")]
    [InlineData("\"南京\"", """{"id": "Q1", "question": "哪？", "answers": [{"text": "南京", "answer_start": 0}]}, {"id": "Q1", "question": "哪？", "answers": [{"text": "南京", "answer_start": 0}]}""", "question 'Q1': the id is used twice")]
    [InlineData("\"南京\"", """{"question": "哪？", "answers": []}""", "article 1, paragraph 1: a question has no \"id\"")]
    public void BadInputIsAnErrorNamingTheFileAndTheQuestion(string context, string qas, string expected)
    {
        string path = Write(File1(context, qas));
        var error = Assert.Throws<InvalidDataException>(() => SquadJson.Read(path, requireAnswers: true));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void TestQuestionsMayHaveNoAnswersAndBrokenJsonNamesItsLine()
    {
        string test = Write(File1("\"南京\"", """{"id": "T1", "question": "哪？"}"""));
        Assert.Empty(Assert.Single(SquadJson.Read(test, requireAnswers: false)).Answers);

        string broken = Write("{\"data\": [\n{\"paragraphs\": [\n{\"context\": \"x\", \"qas\": [}\n]}]}");
        var error = Assert.Throws<InvalidDataException>(() => SquadJson.Read(broken, requireAnswers: false));
        Assert.StartsWith($"{broken}:3: not valid JSON", error.Message);
        Assert.Contains("no \"data\" array", Assert.Throws<InvalidDataException>(() => SquadJson.Read(Write("[1, 2]"), requireAnswers: false)).Message);
    }

    [Fact]
    public void PredictionsAreWrittenInTheOfficialFormat()
    {
        string dir = TestPaths.NewTempDirectory();
        var questions = new[] { new QuestionAnsweringExample("A", "南京", "哪？", []), new QuestionAnsweringExample("B", "上海", "哪？", []) };
        string path = Path.Combine(dir, SquadJson.PredictionFile);
        SquadJson.WritePredictions(path, questions, ["南京", "上海"]);
        var written = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))!;
        Assert.Equal(new Dictionary<string, string> { ["A"] = "南京", ["B"] = "上海" }, written);
        Assert.Contains("南京", File.ReadAllText(path)); // not \u-escaped
    }

    [SkippableTheory]
    [InlineData("train.json", 4692)]
    [InlineData("dev.json", 296)]
    public void ReadsTheSharedCmrc2018Data(string file, int questions)
    {
        string path = Path.Combine(TestPaths.RequireShared(), "data", "cmrc2018", file);
        var examples = SquadJson.Read(path, requireAnswers: true);
        Assert.Equal(questions, examples.Count);
        Assert.All(examples, e => Assert.All(e.Answers, a => Assert.Equal(a.Text, e.Context.Substring(a.Start, a.Text.Length))));
    }
}
