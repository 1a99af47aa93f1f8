using GauMLNet.Engines;
using GauMLNet.QuestionAnswering;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using GauMLNet.Text;
using GauMLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// Fine-tunes GAU-α (or trains it from scratch) to answer questions from a context: the answer is a span of the context,
/// found by start and end scores per token. Contexts are read in question + context windows; characters are tokens one
/// by one (<see cref="CharacterTokenizer"/>), so answer offsets survive tokenization exactly. The validation metric is
/// CMRC 2018's F1 per question over all its windows, as a fraction (0–1).
/// </summary>
public sealed class GauQuestionAnsweringTrainer : GauFineTuningEstimator<GauQuestionAnsweringTransformer>
{
    internal GauQuestionAnsweringTrainer(IHostEnvironment env, GauQuestionAnsweringOptions options, IGauNetworkBuilder backend)
        : base(env, WithFingerprint(options), backend)
    {
        if (options.TopK < 1) throw new ArgumentOutOfRangeException(nameof(options), options.TopK, "TopK is at least 1.");
        if (options.MaxAnswerLength < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxAnswerLength, "MaxAnswerLength is at least 1.");
        new QuestionWindowOptions(options.MaxLength, options.DocumentStride, options.MaxQuestionLength, options.MarkQuestionOverlap).Validate();
    }

    private GauQuestionAnsweringOptions QaOptions => (GauQuestionAnsweringOptions)Options;

    // Training windows without their answer change the rows and the loss: a --resume must match (absent when off, as in older checkpoints).
    private static GauQuestionAnsweringOptions WithFingerprint(GauQuestionAnsweringOptions options) => !options.TrainWindowsWithoutAnswer ? options : options with
    {
        FingerprintExtras = new Dictionary<string, string>(options.FingerprintExtras ?? new Dictionary<string, string>()) { ["train_windows_without_answer"] = "true" },
    };

    private protected override string NoTrainingRows => "the training data has no rows.";

    private sealed class Rows(List<QuestionAnsweringExample> rows) : TaskRows
    {
        public List<QuestionAnsweringExample> List { get; } = rows;
        /// <summary>The rows' windows, made once: validation rows become examples and are decoded from the same windows.</summary>
        public List<QuestionWindow> Windows(GauModelSource source, GauTaskSpec spec) =>
            _windows ??= QuestionAnswerer.Windows(new CharacterTokenizer(source.Tokenizer), List, spec);

        private List<QuestionWindow>? _windows;
        public override int Count => List.Count;
        public override IEnumerable<string?> Texts => List.SelectMany(r => new[] { r.Question, r.Context });
    }

    private protected override TaskRows ReadRows(IDataView data, string what, Action<string> log, CancellationToken token)
    {
        var o = QaOptions;
        string[] texts = [o.ContextColumnName, o.QuestionColumnName, o.TrainingAnswerColumnName];
        InputColumns.RequireText(data.Schema, texts, $"{Component} ({what} data)");
        var index = data.Schema.GetColumnOrNull(o.AnswerIndexColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(data), $"{Component}: answer index column '{o.AnswerIndexColumnName}' was not found in the {what} data.");
        using var cursor = data.GetRowCursor([.. texts.Select(n => data.Schema[n]), index]);
        var readText = InputColumns.TextReader(cursor, texts);
        var readIndex = AnswerIndexReader(cursor, index);
        var rows = new List<QuestionAnsweringExample>();
        while (cursor.MoveNext())
        {
            if (rows.Count % 4096 == 0) token.ThrowIfCancellationRequested();
            var values = readText();
            string context = values[0] ?? "", question = values[1] ?? "", answer = values[2] ?? "";
            int row = rows.Count + 1, start = readIndex();
            if (answer.Length == 0) throw new InvalidDataException($"{Component}: {what} row {row}: the answer ('{o.TrainingAnswerColumnName}') is empty.");
            if (start < 0 || start + answer.Length > context.Length || string.CompareOrdinal(context, start, answer, 0, answer.Length) != 0)
                throw new InvalidDataException($"{Component}: {what} row {row}: {o.AnswerIndexColumnName} {start} does not point at the answer '{answer}' in its context ({context.Length} characters).");
            rows.Add(new QuestionAnsweringExample($"{what}-{row}", context, question, [new AnswerSpan(answer, start)]));
        }
        return new Rows(rows);
    }

    // An integer column, or a float that holds an integer (ML.NET's text loader reads numbers as floats by default).
    private static Func<int> AnswerIndexReader(DataViewRow cursor, DataViewSchema.Column column)
    {
        if (column.Type == NumberDataViewType.Int32)
        {
            var get = cursor.GetGetter<int>(column);
            return () => { int v = 0; get(ref v); return v; };
        }
        if (column.Type == NumberDataViewType.Int64)
        {
            var get = cursor.GetGetter<long>(column);
            return () => { long v = 0; get(ref v); return checked((int)v); };
        }
        if (column.Type == NumberDataViewType.Single)
        {
            var get = cursor.GetGetter<float>(column);
            return () =>
            {
                float v = 0;
                get(ref v);
                return v == MathF.Floor(v) && v is >= 0 and <= int.MaxValue ? (int)v : throw new InvalidDataException($"{column.Name} {v} is not a character offset.");
            };
        }
        throw new ArgumentOutOfRangeException(nameof(column), $"the answer index column '{column.Name}' is {column.Type}; expected an integer (Int32, Int64) or Single.");
    }

    private protected override GauTaskSpec DescribeModel(TaskRows train) => new()
    {
        Task = GauTask.QuestionAnswering,
        TextColumns = [QaOptions.ContextColumnName, QaOptions.QuestionColumnName],
        LabelColumn = QaOptions.TrainingAnswerColumnName,
        OutputColumns = [QaOptions.PredictedAnswerColumnName, QaOptions.ScoreColumnName],
        Outputs = 2,
        QuestionAnswering = new QuestionAnsweringSettings
        {
            TopK = QaOptions.TopK,
            MaxAnswerTokens = QaOptions.MaxAnswerLength,
            DocumentStride = QaOptions.DocumentStride,
            MaxQuestionTokens = QaOptions.MaxQuestionLength,
            MarkQuestionOverlap = QaOptions.MarkQuestionOverlap,
        },
    };

    /// <summary>Question-overlap marks need a third segment: a model from scratch is made with it, a checkpoint's table grows.</summary>
    private protected override GauModelSource AdaptModel(GauModelSource source, Action<string> log)
    {
        if (!QaOptions.MarkQuestionOverlap || source.Config.TypeVocabSize >= 3) return source;
        if (source.PretrainedDirectory is { } directory)
            log($"{Component}: {directory} has {source.Config.TypeVocabSize} segments; question-overlap marks add a third, starting as a copy of segment 1.");
        return source.WithConfig(c => c with { TypeVocabSize = 3 });
    }

    /// <summary>
    /// Training: the windows that hold their answer whole, and with <see cref="GauQuestionAnsweringOptions.TrainWindowsWithoutAnswer"/>
    /// those that hold none of it. Validation: every window (answers are decoded per question).
    /// </summary>
    private protected override List<LabeledExample> ToExamples(TaskRows rows, GauModelSource source, GauTaskSpec spec, string what, Action<string> log)
    {
        var windows = ((Rows)rows).Windows(source, spec);
        bool training = what == "training";
        bool withoutAnswer = training && QaOptions.TrainWindowsWithoutAnswer;
        bool AtCls(QuestionWindow w) => withoutAnswer && w.HoldsNoneOfAnswer;
        var used = windows.Where(w => !training || w.Answer is not null || AtCls(w)).ToList();
        var examples = used.Select(w => new LabeledExample(w.Input, 0, Answer: new AnswerTarget(AtCls(w) ? (0, 0) : w.Answer, w.ContextPosition, w.ContextCount)
        {
            ClsMeansNoAnswer = withoutAnswer,
        })).ToList();
        if (withoutAnswer) log($"{Component}: {used.Count(AtCls)} of {used.Count} training windows hold none of their answer and are trained to point at [CLS].");
        int unanswerable = rows.Count - windows.Where(w => w.Answer is not null).Select(w => w.Example).Distinct().Count();
        if (unanswerable > 0)
            log($"{Component}: {unanswerable} {what} question(s) have an answer longer than any window holds whole; they are {(training ? "not trained on (but for windows holding none of it, when those are trained)" : "scored as they come")}.");
        return examples;
    }

    private protected override Func<IReadOnlyList<float[]>, double>? ValidationMetric(TaskRows validation, GauModelSource source, GauTaskSpec spec)
    {
        var questions = ((Rows)validation).List;
        var windows = ((Rows)validation).Windows(source, spec);
        return outputs => QuestionAnswers.Score(questions, windows, outputs, spec.QuestionAnswering!.MaxAnswerTokens).F1 / 100; // 0–1, as accuracy
    }

    private protected override GauQuestionAnsweringTransformer CreateTransformer(IHostEnvironment env, GauTaskModel model) => new(env, model);

    public override SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        InputColumns.RequireText(inputSchema, [QaOptions.ContextColumnName, QaOptions.QuestionColumnName], Component);
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(QaOptions.PredictedAnswerColumnName, new VectorDataViewType(TextDataViewType.Instance));
        builder.AddColumn(QaOptions.ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single));
        var added = MLNetInternals.ToSchemaShape(builder.ToSchema());
        var names = added.Select(c => c.Name).ToHashSet();
        return new SchemaShape(inputSchema.Where(c => !names.Contains(c.Name)).Concat(added));
    }
}
