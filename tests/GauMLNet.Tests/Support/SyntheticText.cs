namespace GauMLNet.Tests.Support;

public sealed class SentenceRow
{
    public string? Sentence { get; set; }
    public string Label { get; set; } = "";
}

public sealed class PairRow
{
    public string? Sentence1 { get; set; }
    public string? Sentence2 { get; set; }
    public string Label { get; set; } = "";
}

public sealed class SimilarityRow
{
    public string? Sentence1 { get; set; }
    public string? Sentence2 { get; set; }
    public float Label { get; set; }
}

public sealed class EntityRow
{
    public string Sentence { get; set; } = "";
    /// <summary>CLUENER label JSON.</summary>
    public string Label { get; set; } = "";
}

public sealed class ClassPrediction
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}

/// <summary>Small synthetic Chinese-character tasks that a tiny GAU-α learns in seconds.</summary>
public static class SyntheticText
{
    private const string Filler = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理";
    private static readonly (string Label, char Keyword)[] Classes = [("positive", '好'), ("negative", '坏'), ("neutral", '平')];

    public static string Noise(Random random, int length) => new(Enumerable.Range(0, length).Select(_ => Filler[random.Next(Filler.Length)]).ToArray());

    /// <summary>The class is the keyword hidden somewhere in the sentence.</summary>
    public static List<SentenceRow> Sentences(int count, int seed, int classes = 3)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var (label, keyword) = Classes[random.Next(classes)];
            string text = Noise(random, random.Next(3, 12));
            int at = random.Next(text.Length + 1);
            return new SentenceRow { Sentence = text.Insert(at, keyword.ToString()), Label = label };
        }).ToList();
    }

    /// <summary>"same" when both sentences carry the same keyword, else "different".</summary>
    public static List<PairRow> Pairs(int count, int seed)
    {
        var random = new Random(seed);
        const string keywords = "甲乙丙丁";
        return Enumerable.Range(0, count).Select(_ =>
        {
            char a = keywords[random.Next(keywords.Length)];
            char b = random.Next(2) == 0 ? a : keywords[random.Next(keywords.Length)];
            return new PairRow
            {
                Sentence1 = Noise(random, random.Next(2, 6)) + a + Noise(random, random.Next(2, 6)),
                Sentence2 = Noise(random, random.Next(2, 6)) + b + Noise(random, random.Next(2, 6)),
                Label = a == b ? "same" : "different",
            };
        }).ToList();
    }

    /// <summary>Similarity 1 when both sentences carry the same keyword, 0.5 when the keywords are neighbours, else 0.</summary>
    public static List<SimilarityRow> Similarities(int count, int seed)
    {
        var random = new Random(seed);
        const string keywords = "甲乙丙丁";
        return Enumerable.Range(0, count).Select(_ =>
        {
            int a = random.Next(keywords.Length);
            int b = random.Next(3) == 0 ? a : random.Next(keywords.Length);
            int distance = Math.Abs(a - b);
            return new SimilarityRow
            {
                Sentence1 = Noise(random, random.Next(2, 6)) + keywords[a] + Noise(random, random.Next(2, 6)),
                Sentence2 = Noise(random, random.Next(2, 6)) + keywords[b] + Noise(random, random.Next(2, 6)),
                Label = distance == 0 ? 1f : distance == 1 ? 0.5f : 0f,
            };
        }).ToList();
    }

    private static readonly string[] Names = ["张伟", "王芳", "李娜", "刘洋", "陈静"];
    private static readonly string[] Places = ["北京", "上海", "广州", "深圳", "成都"];
    private static readonly string[] Companies = ["华为公司", "腾讯集团", "阿里巴巴"];

    /// <summary>
    /// Sentences with people, places and companies (name, address, company) at random positions between noise; the label is
    /// CLUENER label JSON. Latin words and digits appear too, so the character alignment is exercised.
    /// </summary>
    public static List<EntityRow> Entities(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var text = new System.Text.StringBuilder();
            var label = new Dictionary<string, Dictionary<string, List<int[]>>>();
            void Add(string type, string mention)
            {
                int start = text.Length;
                text.Append(mention);
                var mentions = label.TryGetValue(type, out var m) ? m : label[type] = [];
                (mentions.TryGetValue(mention, out var spans) ? spans : mentions[mention] = []).Add([start, text.Length - 1]);
            }
            text.Append(Noise(random, random.Next(0, 3)));
            Add("name", Names[random.Next(Names.Length)]);
            text.Append(random.Next(3) == 0 ? " ok " : "在");
            Add("address", Places[random.Next(Places.Length)]);
            text.Append(Noise(random, random.Next(1, 3)));
            if (random.Next(2) == 0) { text.Append("去"); Add("company", Companies[random.Next(Companies.Length)]); }
            text.Append(random.Next(2) == 0 ? "2024年" : Noise(random, random.Next(0, 3)));
            return new EntityRow { Sentence = text.ToString(), Label = System.Text.Json.JsonSerializer.Serialize(label) };
        }).ToList();
    }
}
