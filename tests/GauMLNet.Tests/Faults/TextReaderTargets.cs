using System.IO.Compression;
using System.Text;
using GauMLNet.Cli.Commands;
using GauMLNet.Clue;
using GauMLNet.Experiments;
using GauMLNet.Interop;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using GauMLNet.Tabular;
using GauMLNet.Tasks;
using GauMLNet.Text;
using GauMLNet.TorchSharp;
using GauMLNet.TorchSharp.Training.Pretraining;

namespace GauMLNet.Tests.Faults;

/// <summary>A reader of a JSON or text file the CLI or a library reads back: its seed inputs and one load of an input.</summary>
/// <param name="Options">how many leading bytes of an input are options for the harness rather than the file</param>
internal sealed record TextReaderTarget(string Name, Func<IEnumerable<(string Name, byte[] Bytes)>> Seeds, Action<byte[]> Load, int Options = 0);

/// <summary>
/// The JSON and text readers (issue #30), shared by the AFL harness (tests/GauMLNet.Fuzz, where the file is linked) and the
/// unit suite's battery (TextReaderCorruptionTests): each load writes the input where the reader expects a file and reads
/// it as the CLI does. A load either succeeds or throws a documented exception (docs/fuzzing.md); the one reader whose
/// documented failure is a plain <see cref="FormatException"/> (the pretraining corpus) has it checked here, by its message
/// naming the file.
/// </summary>
internal sealed class TextReaderTargets(string fixtures, string scratch)
{
    private string Tiny(string file) => Path.Combine(fixtures, "gau-alpha-tiny", file);
    private string Scratch(string file) => Path.Combine(scratch, file);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public IReadOnlyList<TextReaderTarget> All() =>
    [
        // gau encode --input: the batch, then the tiny model encodes it (ids outside the vocabulary, ragged rows, too few rows).
        new("encode-input", () => [("inputs", File.ReadAllBytes(Tiny("inputs.json"))), ("ids-only", Utf8("""{"input_ids": [[2, 5, 7, 3], [2, 9, 3, 0]], "attention_mask": [[1, 1, 1, 1], [1, 1, 1, 0]]}"""))],
            input => EncodeFiles.Encode(Encoder, EncodeFiles.ReadInputs(input, Scratch("inputs.json")), Scratch("inputs.json"))),
        // gau encode --compare: the reference, compared with the fixture's encoding of inputs.json.
        new("encode-reference", () => [("expected", File.ReadAllBytes(Tiny("expected.json")))],
            input => EncodeFiles.Compare(Encoded, EncodeFiles.ReadReference(input, Scratch("expected.json")), Scratch("expected.json"))),
        // config.json of a checkpoint directory, beside the tiny model's weights (a config must not claim more than they hold).
        new("config", () => [("tiny", File.ReadAllBytes(Tiny("config.json")))], input =>
        {
            string checkpoint = Scratch("checkpoint");
            if (!File.Exists(CheckpointFiles.WeightsPath(checkpoint)))
            {
                Directory.CreateDirectory(checkpoint);
                File.Copy(Tiny(CheckpointFiles.WeightsFile), CheckpointFiles.WeightsPath(checkpoint));
            }
            File.WriteAllBytes(CheckpointFiles.ConfigPath(checkpoint), input);
            CheckpointFiles.LoadConfig(checkpoint);
        }),
        // gau-task.json of a model package: the legacy fixture's, and a token-classification one.
        new("gau-task", () => [("legacy", Legacy[GauTaskSpec.FileName]), ("ner", Utf8(NerSpec))],
            input => GauTaskSpec.FromJson(TextFiles.Decode(input, "gau-task.json"), "gau-task.json")),
        // gaumlnet.json of a PyTorch-layout export (a fitted model's, with gau_task inside, and a bare checkpoint's).
        new("gaumlnet-json", () =>
            [
                ("fitted", Utf8(PyTorchModelDescription.Of(LegacySpec, ["head.weight", "head.bias"]).ToJson())),
                ("checkpoint", Utf8(PyTorchModelDescription.OfCheckpoint(["mlm.bias"]).ToJson())),
            ],
            input => PyTorchModelDescription.FromJson(TextFiles.Decode(input, "gaumlnet.json"), "gaumlnet.json")),
        // vocab.txt, then the tokenizer used on a pair and on every id it has.
        new("vocab", () => [("legacy", Legacy[CheckpointFiles.VocabFile]), ("small", Utf8("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n你\n好\nwor\n##ld\n"))], input =>
        {
            File.WriteAllBytes(Scratch("vocab.txt"), input);
            var tokenizer = GauTokenizer.FromVocabFile(Scratch("vocab.txt"));
            tokenizer.Encode("你好 world ẞ 🙂", "第二句", 16);
            for (int id = 0; id < tokenizer.VocabSize; id++) _ = tokenizer.Token(id);
        }),
        // A CSV, TSV or JSON-lines data file: the first byte picks the format, the columns and the options, the rest is the file.
        new("tabular", TabularSeeds, input =>
        {
            if (input.Length == 0) return;
            byte options = input[0];
            string path = Scratch("data" + (options % 3) switch { 0 => ".csv", 1 => ".tsv", _ => ".jsonl" });
            File.WriteAllBytes(path, input[1..]);
            var columns = (options & 0x08) != 0 ? new TabularColumns("1", Label: "2") : new TabularColumns("text", (options & 0x04) != 0 ? "text2" : null, "label");
            bool? header = (options & 0x30) switch { 0x10 => true, 0x20 => false, _ => null };
            TabularDataset.Read(path, columns, requireLabels: (options & 0x80) != 0, skipBadLines: (options & 0x40) != 0, hasHeader: header);
        }, Options: 1),
        // CLUENER JSON lines (gau train/evaluate --task cluener).
        new("cluener", () => [("train", [1, .. Utf8(string.Join("\n", ClueNerLines) + "\n")])], input =>
        {
            if (input.Length == 0) return;
            File.WriteAllBytes(Scratch("cluener.json"), input[1..]);
            ClueNerData.Read(Scratch("cluener.json"), requireLabels: (input[0] & 1) != 0);
        }, Options: 1),
        // A pretraining corpus (plain and JSON lines), packed with the tiny vocabulary.
        new("pretrain-corpus", () => [("mixed", Utf8("第一句话。\n{\"text\": \"第二句\"}\n\n{\"sentence\": \"hello world\", \"id\": 3}\n"))], input =>
        {
            string path = Scratch("corpus.txt");
            File.WriteAllBytes(path, input);
            try { PretrainingCorpus.Pack(PretrainingCorpus.ReadTexts([path]), Tokenizer, 16); }
            catch (FormatException ex) when (ex.Message.StartsWith(path + ":", StringComparison.Ordinal)) { } // documented: file and line
        }),
        // A sweep's trials.jsonl, resumed: the log is read back and the tuners propose from it.
        new("trial-log", TrialLogSeeds, input =>
        {
            File.WriteAllBytes(Scratch("trials.jsonl"), input);
            int lines = input.Count(b => b == (byte)'\n') + 2;
            foreach (ITuner tuner in new ITuner[] { new RandomTuner(), new TreeParzenTuner(randomStartup: 1) })
                new ExperimentRunner(SearchSpace.ForFineTuning(fromScratch: false), tuner,
                    new ExperimentSettings { MaxTrials = lines, TrialLogPath = Scratch("trials.jsonl"), PruneAfterTrials = 1, Seed = 1 })
                    .Run(c => { c.ReportEpoch(1, 0.5); return 0.5; });
        }),
    ];

    // Made once per instance, on first use (the tiny model loads in milliseconds, but thousands of inputs would reload it).
    private GauAlphaEncoder? _encoder;
    private EncoderOutput[]? _encoded;
    private GauTokenizer? _tokenizer;
    private IReadOnlyDictionary<string, byte[]>? _legacy;
    private GauAlphaEncoder Encoder => _encoder ??= GauAlphaEncoder.Load(Path.Combine(fixtures, "gau-alpha-tiny"), "cpu");
    private EncoderOutput[] Encoded => _encoded ??= EncodeFiles.Encode(Encoder, EncodeFiles.ReadInputs(Tiny("inputs.json")), Tiny("inputs.json"));
    private GauTokenizer Tokenizer => _tokenizer ??= GauTokenizer.FromVocabText(Encoding.UTF8.GetString(Legacy[CheckpointFiles.VocabFile]));
    private IReadOnlyDictionary<string, byte[]> Legacy => _legacy ??= LegacyFiles(fixtures);
    private GauTaskSpec LegacySpec => GauTaskSpec.FromJson(Encoding.UTF8.GetString(Legacy[GauTaskSpec.FileName]), "legacy");

    /// <summary>The files of the legacy (format 1) model's package: gau-task.json, config.json, vocab.txt, the weights.</summary>
    private static IReadOnlyDictionary<string, byte[]> LegacyFiles(string fixtures) =>
        ModelFiles.Read(new BinaryReader(new MemoryStream(LegacyGaufBlob(fixtures))));

    /// <summary>The GAUF blob of the legacy (format 1, no manifest) model's ML.NET entry, as ModelFiles reads it.</summary>
    public static byte[] LegacyGaufBlob(string fixtures)
    {
        using var zip = ZipFile.OpenRead(Path.Combine(fixtures, "legacy-format1", "model.zip"));
        foreach (var entry in zip.Entries)
        {
            using var s = entry.Open();
            using var m = new MemoryStream();
            s.CopyTo(m);
            byte[] bytes = m.ToArray();
            int at = bytes.AsSpan().IndexOf("FUAG"u8);
            if (at >= 0) return bytes[at..];
        }
        throw new InvalidDataException("the legacy fixture holds no GAUF entry");
    }

    private const string NerSpec = """
        {"format": 2, "task": "token_classification", "text_columns": ["text"], "output_columns": ["Entities"], "outputs": 5,
         "max_length": 32, "entity_head": "Crf", "entity_types": ["name", "address"], "metadata": {"clue_task": "cluener"}}
        """;

    private static readonly string[] ClueNerLines =
    [
        """{"text": "浙商银行企业信贷部叶老桂博士", "label": {"name": {"叶老桂": [[9, 11]]}, "company": {"浙商银行": [[0, 3]]}}}""",
        """{"id": 7, "text": "北京大学", "label": {"organization": {"北京大学": [[0, 3]]}}}""",
    ];

    private static IEnumerable<(string, byte[])> TabularSeeds()
    {
        // First byte: format (% 3), 0x04 pair, 0x08 positions, 0x10/0x20 header yes/no, 0x40 skip bad lines, 0x80 labels required.
        yield return ("csv", [0x80, .. Utf8("text,label\n很好,正面\n\"带,逗号\"\"引号\"\"\",负面\n\n很差,负面\n")]);
        yield return ("csv-pair", [0x84, .. Utf8("text,text2,label\n他来了,他到了,0.8\n天气,下雨,0.1\n")]);
        yield return ("tsv-positions", [0x89, .. Utf8("很好\t1\n很差\t0\n")]);
        yield return ("jsonl", [0xc2, .. Utf8("{\"text\": \"很好\", \"label\": \"pos\"}\n{\"text\": \"很差\", \"label\": 0}\n")]);
    }

    private IEnumerable<(string, byte[])> TrialLogSeeds()
    {
        string path = Scratch("seed-trials.jsonl");
        File.Delete(path);
        new ExperimentRunner(SearchSpace.ForFineTuning(fromScratch: false), new RandomTuner(), new ExperimentSettings { MaxTrials = 3, TrialLogPath = path, Seed = 3 })
            .Run(c => { c.ReportEpoch(1, c.Id / 10.0); return c.Id / 10.0; });
        yield return ("three-trials", File.ReadAllBytes(path));
    }
}
