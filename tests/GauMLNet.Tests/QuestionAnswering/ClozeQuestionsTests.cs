using GauMLNet.QuestionAnswering;

namespace GauMLNet.Tests.QuestionAnswering;

/// <summary>Cloze questions from unlabelled contexts: answers that sit where they say, question words, the quota, repeatability.</summary>
public sealed class ClozeQuestionsTests
{
    private const string History =
        "苏格兰议会成立于1999年，议会大楼位于爱丁堡市。议会每四年举行一次普通大选，选民投票选出129名议员。" +
        "苏格兰议会委员会的主要职责是获取证据，进行调查和审查立法。议会大楼由建筑师米拉列斯设计，于2004年启用。";

    private const string Science =
        "吞噬细胞在人体中巡逻以寻找病原体，它们也会对细胞因子作出反应。病原体进入人体后，吞噬细胞通过趋化作用被吸引到感染部位。" +
        "Toll样受体能够识别病原体表面的分子，并激活吞噬细胞。";

    [Fact]
    public void EveryAnswerIsTheContextTextAtItsOffsetAndItsQuestionAsksForIt()
    {
        var questions = ClozeQuestions.From([History, Science], perContext: 6, seed: 1);

        Assert.Equal(12, questions.Count);
        foreach (var q in questions)
        {
            var answer = Assert.Single(q.Answers);
            Assert.Equal(answer.Text, q.Context.Substring(answer.Start, answer.Text.Length));
            Assert.Equal(answer.Text.Trim(), answer.Text);
            Assert.EndsWith("？", q.Question, StringComparison.Ordinal);
            Assert.Contains(new[] { "什么", "多少", "哪一年", "哪里" }, word => q.Question.Contains(word, StringComparison.Ordinal));
        }
        Assert.Equal(Enumerable.Range(1, 12).Select(i => $"CLOZE_{i}"), questions.Select(q => q.Id));
        // Each context reaches its quota with distinct answers.
        Assert.All(questions.GroupBy(q => q.Context), g => Assert.Equal(6, g.Select(q => q.Answers[0].Start * 1000 + q.Answers[0].End).Distinct().Count()));
    }

    [Fact]
    public void AnswersAreWholeClausesNumbersWordsAndRepeatedNames()
    {
        var answers = ClozeQuestions.From([History, Science], perContext: 40, seed: 3).Select(q => q.Answers[0].Text).ToHashSet();

        Assert.Contains("1999", answers); // a number
        Assert.Contains("Toll", answers); // a Latin word
        Assert.Contains("病原体", answers); // a run the context repeats, not starting or ending on a function character
        Assert.Contains(answers, a => a.Length >= 8 && !a.Contains('，')); // a whole clause
        Assert.DoesNotContain(answers, a => a.StartsWith('的') || a.EndsWith('的'));
    }

    [Fact]
    public void AYearIsAskedForWithItsWordAndOtherNumbersAsAQuantity()
    {
        var questions = ClozeQuestions.From(["这座桥在1937年建成，全长2700米，是当时最长的桥之一。"], perContext: 40, seed: 2);

        var year = Assert.Single(questions, q => q.Answers[0].Text == "1937");
        Assert.Contains("哪一年建成", year.Question.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var length = Assert.Single(questions, q => q.Answers[0].Text == "2700");
        Assert.Contains("多少", length.Question, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSameSeedGivesTheSameQuestionsAndAnotherSeedOthers()
    {
        string[] contexts = [History, Science, History];
        var first = ClozeQuestions.From(contexts, perContext: 5, seed: 7);
        var again = ClozeQuestions.From(contexts, perContext: 5, seed: 7);
        var other = ClozeQuestions.From(contexts, perContext: 5, seed: 8);

        Assert.Equal(first, again, (a, b) => a.Question == b.Question && a.Answers[0] == b.Answers[0]);
        Assert.Equal(10, first.Count); // the repeated context is read once
        Assert.NotEqual(first.Select(q => q.Question), other.Select(q => q.Question));
    }

    [Fact]
    public void ContextsWithoutSentencesOfTenCharactersGiveNoQuestions()
    {
        Assert.Empty(ClozeQuestions.From(["短句。也短。", ""], perContext: 3, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClozeQuestions.From([History], perContext: 0, seed: 1));
    }
}
