using System.Text;
using GauMLNet.Tabular;
using GauMLNet.Tests.Support;

namespace GauMLNet.Tests.Tabular;

/// <summary>Reading users' data files: header detection, RFC 4180 quoting, TSV, JSON lines, encodings and the errors that name file, line and column.</summary>
public class TabularReaderTests
{
    private static string WriteFile(string name, string content, Encoding? encoding = null)
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), name);
        File.WriteAllText(path, content, encoding ?? new UTF8Encoding(false));
        return path;
    }

    private static TabularDataset Read(string path, TabularColumns columns, TabularKind? kind = null, bool skip = false, Encoding? encoding = null, bool? header = null) =>
        TabularDataset.Read(path, columns, kind, requireLabels: true, skip, encoding, header);

    private static readonly TabularColumns TextLabel = new("text", Label: "label");

    [Fact]
    public void TheFirstRowIsTheHeaderWhenItNamesTheColumns()
    {
        string path = WriteFile("a.csv", "id,text,label\n1,很好,pos\n2,很差,neg\n");
        var data = Read(path, TextLabel);
        Assert.Equal(["很好", "很差"], data.Examples.Select(e => e.Text));
        Assert.Equal(["pos", "neg"], data.Examples.Select(e => e.Label!));
        Assert.Equal([2L, 3L], data.Examples.Select(e => e.Line)); // the header is line 1
    }

    [Fact]
    public void PositionsReadAHeaderlessFileAndANumericColumnUnderANameMarksAHeader()
    {
        // No header: the first row is data.
        string headerless = WriteFile("b.csv", "很好,pos\n很差,neg\n");
        var data = Read(headerless, new TabularColumns("1", Label: "2"));
        Assert.Equal(["很好", "很差"], data.Examples.Select(e => e.Text));
        using (var reader = TabularReader.Open(headerless, ["1", "2"]))
            Assert.False(reader.HasHeader);

        // Positions over a file whose score column is numbers under a word: that word is a header.
        string withHeader = WriteFile("c.csv", "s1,s2,score\n天气好,天晴,0.9\n天气好,下雨,0.1\n");
        var pairs = Read(withHeader, new TabularColumns("1", "2", "3"));
        Assert.Equal(2, pairs.Examples.Count);
        Assert.Equal("s1", pairs.Columns.Text); // positions resolved to the header's names
        Assert.Equal(TabularKind.Similarity, pairs.Kind);

        // --header no overrides the detection.
        var forced = Read(WriteFile("d.csv", "text,label\n好,pos\n"), TextLabel with { Text = "1", Label = "2" }, header: false);
        Assert.Equal(["text", "好"], forced.Examples.Select(e => e.Text));
    }

    [Fact]
    public void QuotedFieldsKeepCommasQuotesAndLineBreaksAndLinesStayRight()
    {
        string path = WriteFile("q.csv", "text,label\n\"一，二, 三\",a\n\"他说\"\"好\"\"\",b\n\"第一行\n第二行\",c\n,d\n");
        var error = Assert.Throws<TabularFormatException>(() => Read(path, TextLabel));
        Assert.Equal($"{path}:6: column 'text' is empty", error.Message); // the multi-line field counted as two lines (4 and 5)

        var data = Read(path, TextLabel, skip: true);
        Assert.Equal(["一，二, 三", "他说\"好\"", "第一行\n第二行"], data.Examples.Select(e => e.Text));
        Assert.Equal([2L, 3L, 4L], data.Examples.Select(e => e.Line));
        Assert.Equal(1, data.SkippedBadLines);
    }

    [Fact]
    public void TsvAndCrLfLineEndsAndABomAreRead()
    {
        string path = WriteFile("t.tsv", "\uFEFFtext\tlabel\r\n有, 逗号\tx\r\n\r\n第二\ty\r\n");
        var data = Read(path, TextLabel);
        Assert.Equal(["有, 逗号", "第二"], data.Examples.Select(e => e.Text));
        Assert.Equal(["x", "y"], data.Examples.Select(e => e.Label!));
    }

    [Fact]
    public void JsonLinesColumnsAreTheObjectsProperties()
    {
        string path = WriteFile("j.jsonl", "{\"text\": \"好\", \"label\": 1, \"extra\": [1]}\n\n{\"label\": \"neg\", \"text\": \"差\"}\n");
        var data = Read(path, TextLabel);
        Assert.Equal(["好", "差"], data.Examples.Select(e => e.Text));
        Assert.Equal(["1", "neg"], data.Examples.Select(e => e.Label!)); // a number label reads as written
        Assert.Equal([1L, 3L], data.Examples.Select(e => e.Line));

        var broken = WriteFile("k.jsonl", "{\"text\": \"好\", \"label\": \"a\"}\n{\"text\": \"好\"\n[1, 2]\n{\"text\": [\"x\"], \"label\": \"a\"}\n{\"text\": null, \"label\": \"a\"}\n");
        Assert.StartsWith($"{broken}:2: not valid JSON", Assert.Throws<TabularFormatException>(() => Read(broken, TextLabel)).Message);
        var skipped = Read(broken, TextLabel, skip: true);
        Assert.Single(skipped.Examples);
        Assert.Equal(4, skipped.SkippedBadLines);
    }

    [Fact]
    public void AMissingColumnIsNamedWithTheColumnsThatExist()
    {
        string csv = WriteFile("m.csv", "review,stars\n好,5\n");
        var error = Assert.Throws<InvalidDataException>(() => Read(csv, TextLabel));
        Assert.Equal($"{csv}: there is no column 'text'; the columns are: 'review', 'stars'.", error.Message);

        string jsonl = WriteFile("m.jsonl", "{\"review\": \"好\", \"label\": \"a\"}\n");
        var rowError = Assert.Throws<TabularFormatException>(() => Read(jsonl, TextLabel));
        Assert.Equal($"{jsonl}:1: column 'text' is missing; the row has: 'review', 'label'", rowError.Message);

        string headerless = WriteFile("n.csv", "好,a\n");
        Assert.Contains("the file has no header row: name columns by position, 1 to 2",
            Assert.Throws<InvalidDataException>(() => Read(headerless, new TabularColumns("1", Label: "3"))).Message);
    }

    [Fact]
    public void EmptyLabelsAndShortRowsNameTheLineAndAreCountedWhenSkipped()
    {
        string path = WriteFile("e.csv", "text,label\n好,a\n差,\n一般\n还行,b,多余\n不错,c\n");
        Assert.Equal($"{path}:3: column 'label' is empty", Assert.Throws<TabularFormatException>(() => Read(path, TextLabel)).Message);
        var data = Read(path, TextLabel, skip: true);
        Assert.Equal(["好", "不错"], data.Examples.Select(e => e.Text));
        Assert.Equal(3, data.SkippedBadLines);

        string wrong = WriteFile("f.csv", "text,label\n一般\n");
        Assert.Equal($"{wrong}:2: the row has 1 field(s), the header has 2 (is a quote or separator out of place?)",
            Assert.Throws<TabularFormatException>(() => Read(wrong, TextLabel)).Message);
    }

    [Fact]
    public void TheKindIsInferredFromTheColumnsAndLabelsAndAStatedKindIsChecked()
    {
        var pair = new TabularColumns("a", "b", "label");
        Assert.Equal(TabularKind.Classification, Read(WriteFile("1.csv", "text,label\n好,1\n差,0\n"), TextLabel).Kind);
        Assert.Equal(TabularKind.Pair, Read(WriteFile("2.csv", "a,b,label\n好,好,1\n差,好,0\n"), pair).Kind);
        Assert.Equal(TabularKind.Similarity, Read(WriteFile("3.csv", "a,b,label\n好,好,0.9\n差,好,1\n"), pair).Kind);
        Assert.Equal(TabularKind.Similarity, Read(WriteFile("4.csv", "a,b,label\n好,好,1\n差,好,0\n"), pair, TabularKind.Similarity).Kind);

        string bad = WriteFile("5.csv", "a,b,label\n好,好,0.5\n差,好,high\n");
        Assert.Equal(TabularKind.Pair, Read(bad, pair).Kind); // not all numbers: a pair classifier
        Assert.Equal($"{bad}:3: column 'label' is 'high', not a number (similarity labels are numbers)",
            Assert.Throws<TabularFormatException>(() => Read(bad, pair, TabularKind.Similarity)).Message);
        Assert.Single(Read(bad, pair, TabularKind.Similarity, skip: true).Examples);

        Assert.Contains("--text-pair-column", Assert.Throws<ArgumentException>(() => TabularKinds.Infer(false, ["0.5"], TabularKind.Similarity)).Message);
        Assert.Equal(0.5f, Read(bad, pair, TabularKind.Similarity, skip: true).ToSimilarity().Single().Label);
    }

    [Fact]
    public void TheDevFractionIsTheSameForTheSameSeedAndKeepsFileOrder()
    {
        var rows = string.Join("\n", Enumerable.Range(0, 200).Select(i => $"文本{i},{i % 3}"));
        var data = Read(WriteFile("s.csv", "text,label\n" + rows + "\n"), TextLabel);
        var (train1, dev1) = data.SplitDev(0.1, seed: 7);
        var (train2, dev2) = data.SplitDev(0.1, seed: 7);
        var (_, dev3) = data.SplitDev(0.1, seed: 8);
        Assert.Equal(20, dev1.Examples.Count);
        Assert.Equal(180, train1.Examples.Count);
        Assert.Equal(dev1.Examples.Select(e => e.Line), dev2.Examples.Select(e => e.Line));
        Assert.Equal(train1.Examples.Select(e => e.Line), train2.Examples.Select(e => e.Line));
        Assert.NotEqual(dev1.Examples.Select(e => e.Line), dev3.Examples.Select(e => e.Line));
        Assert.Empty(dev1.Examples.Select(e => e.Line).Intersect(train1.Examples.Select(e => e.Line)));
        Assert.Equal(dev1.Examples.Select(e => e.Line).Order(), dev1.Examples.Select(e => e.Line));
    }

    [Fact]
    public void LegacyEncodingsDecodeAndInvalidUtf8NamesTheLine()
    {
        var gb18030 = GauMLNet.Storage.TextFiles.Resolve("gb18030");
        string legacy = WriteFile("g.csv", "text,label\n中文评论,好\n", gb18030);
        Assert.Equal("中文评论", Read(legacy, TextLabel, encoding: gb18030).Examples.Single().Text);
        var error = Assert.Throws<InvalidDataException>(() => Read(legacy, TextLabel));
        Assert.Contains($"{legacy}:2: byte(s) 0x", error.Message);
        Assert.Contains("--encoding gb18030", error.Message);

        // Far into a file (past the reader's first block), the line is still the right one.
        string late = Path.Combine(TestPaths.NewTempDirectory(), "late.csv");
        var bytes = new List<byte>(Encoding.UTF8.GetBytes("text,label\n" + string.Concat(Enumerable.Range(0, 20000).Select(i => $"好评{i},a\n"))));
        bytes.AddRange([0xB7, 0xA2, (byte)',', (byte)'b', (byte)'\n']);
        File.WriteAllBytes(late, [.. bytes]);
        Assert.StartsWith($"{late}:20002: byte(s) 0x", Assert.Throws<InvalidDataException>(() => Read(late, TextLabel)).Message);
    }

    [Fact]
    public void WrittenFieldsAreQuotedSoTheyReadBackTheSame()
    {
        string[] fields = ["plain", "a,b", "say \"hi\"", "two\nlines", "tab\there", ""];
        string path = Path.Combine(TestPaths.NewTempDirectory(), "w.csv");
        using (var writer = new StreamWriter(path))
        {
            TabularScorer.WriteFields(writer, ',', fields.Select((_, i) => $"c{i + 1}").ToList());
            TabularScorer.WriteFields(writer, ',', fields);
        }
        using var reader = TabularReader.Open(path, ["c1"]);
        Assert.True(reader.HasHeader);
        Assert.Equal(fields, reader.Next()!.Fields);
        Assert.Null(reader.Next());
    }
}
