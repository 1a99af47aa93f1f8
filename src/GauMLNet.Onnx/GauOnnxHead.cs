using GauMLNet.Configuration;
using GauMLNet.Onnx.Graph;
using GauMLNet.Tasks;

namespace GauMLNet.Onnx;

/// <summary>
/// What the exported graph computes on top of the encoder's hidden states [batch, sequence, hidden], and the
/// outputs it names. A head reads its weights by the port's names and writes its nodes through
/// <see cref="GauGraphWriter"/>, which offers pooling, (quantizable) linear layers and the graph's outputs; a new
/// head (e.g. a CRF's emissions) is one more subclass.
/// </summary>
public abstract class GauOnnxHead
{
    private protected GauOnnxHead() { }

    /// <summary>The metadata name of the head: sequence_classification, regression, embedding, masked_lm, token_classification.</summary>
    public abstract string Kind { get; }

    /// <summary>The output an inference engine returns (raw logits, score or embedding; never probabilities).</summary>
    public abstract string RawOutput { get; }

    /// <summary>The graph's output names, in order.</summary>
    public abstract IReadOnlyList<string> OutputNames { get; }

    internal abstract void Write(GauGraphWriter graph);

    /// <summary>Pooled linear classifier: <see cref="OnnxNames.Logits"/> and <see cref="OnnxNames.Probabilities"/>, [batch, classes].</summary>
    public static GauOnnxHead SequenceClassification(int classes, SequencePooling pooling = SequencePooling.First) => new PooledLinearHead(classes, pooling, regression: false);

    /// <summary>Pooled linear score: <see cref="OnnxNames.Score"/> [batch, 1].</summary>
    public static GauOnnxHead Regression(SequencePooling pooling = SequencePooling.First) => new PooledLinearHead(1, pooling, regression: true);

    /// <summary>The pooled hidden state: <see cref="OnnxNames.Embedding"/> [batch, hidden].</summary>
    public static GauOnnxHead Embedding(SequencePooling pooling = SequencePooling.First) => new EmbeddingHead(pooling);

    /// <summary>
    /// A checkpoint's MLM head: <see cref="OnnxNames.LastHiddenState"/> [batch, sequence, hidden] and
    /// <see cref="OnnxNames.MlmLogits"/> [batch, sequence, vocab] (cls.predictions.decoder.weight, else the tied word embeddings).
    /// </summary>
    public static GauOnnxHead MaskedLanguageModel() => new MaskedLanguageModelHead();

    /// <summary>
    /// Per-token linear logits (NER and other taggers): <see cref="OnnxNames.Logits"/> [batch, sequence, tags] from
    /// <paramref name="weightPrefix"/>.weight [tags, hidden] and .bias [tags].
    /// </summary>
    public static GauOnnxHead TokenClassification(int tags, string weightPrefix = "head.classifier") => new TokenClassificationHead(tags, weightPrefix);

    /// <summary>
    /// Efficient GlobalPointer span scores: <see cref="OnnxNames.SpanLogits"/> [batch, types, sequence, sequence], from
    /// head.dense (hidden → 2·64: RoPE-rotated start and end projections) and head.bias_dense (per-type start and end biases).
    /// </summary>
    public static GauOnnxHead GlobalPointer(int types) => new GlobalPointerHead(types);

    /// <summary>The head a fitted model's gau-task.json describes.</summary>
    public static GauOnnxHead For(GauTaskSpec spec) => spec.Task switch
    {
        GauTask.Classification => SequenceClassification(spec.Outputs, spec.Pooling),
        GauTask.Regression => Regression(spec.Pooling),
        GauTask.Embedding => Embedding(spec.Pooling),
        GauTask.TokenClassification when spec.EntityHead == EntityHead.GlobalPointer => GlobalPointer(spec.Outputs),
        GauTask.TokenClassification => TokenClassification(spec.Outputs),
        GauTask.QuestionAnswering => TokenClassification(tags: 2), // start and end scores per token: the same linear head
        _ => throw new NotSupportedException($"The ONNX exporter has no head for the task '{spec.Task}'."),
    };

    private sealed class PooledLinearHead(int outputs, SequencePooling pooling, bool regression) : GauOnnxHead
    {
        public override string Kind => regression ? "regression" : "sequence_classification";
        public override string RawOutput => regression ? OnnxNames.Score : OnnxNames.Logits;
        public override IReadOnlyList<string> OutputNames => regression ? [OnnxNames.Score] : [OnnxNames.Logits, OnnxNames.Probabilities];

        internal override void Write(GauGraphWriter graph)
        {
            if (outputs < 1) throw new ArgumentOutOfRangeException(nameof(outputs), outputs, "A head needs at least one output.");
            string pooled = graph.Pool(pooling);
            string logits = graph.Linear(pooled, "head.classifier", outputs, "head", quantize: false);
            graph.Output(logits, RawOutput, OnnxNames.BatchAxis, outputs);
            if (!regression)
                graph.Output(graph.Builder.Op("Softmax", "probabilities", [logits], Attr.Int("axis", -1)), OnnxNames.Probabilities, OnnxNames.BatchAxis, outputs);
        }
    }

    private sealed class EmbeddingHead(SequencePooling pooling) : GauOnnxHead
    {
        public override string Kind => "embedding";
        public override string RawOutput => OnnxNames.Embedding;
        public override IReadOnlyList<string> OutputNames => [OnnxNames.Embedding];

        internal override void Write(GauGraphWriter graph) =>
            graph.Output(graph.Pool(pooling), OnnxNames.Embedding, OnnxNames.BatchAxis, graph.Config.HiddenSize);
    }

    private sealed class MaskedLanguageModelHead : GauOnnxHead
    {
        public override string Kind => "masked_lm";
        public override string RawOutput => OnnxNames.MlmLogits;
        public override IReadOnlyList<string> OutputNames => [OnnxNames.LastHiddenState, OnnxNames.MlmLogits];

        internal override void Write(GauGraphWriter graph)
        {
            var config = graph.Config;
            graph.Output(graph.Hidden, OnnxNames.LastHiddenState, OnnxNames.BatchAxis, OnnxNames.SequenceAxis, config.HiddenSize);
            string logits = graph.Weights.Has(Storage.CheckpointFiles.DecoderWeightName)
                ? graph.Linear(graph.Hidden, "cls.predictions.decoder", config.VocabSize, "mlm", quantize: true, bias: false)
                : graph.TiedDecoder(graph.Hidden);
            graph.Output(logits, OnnxNames.MlmLogits, OnnxNames.BatchAxis, OnnxNames.SequenceAxis, config.VocabSize);
        }
    }

    private sealed class TokenClassificationHead(int tags, string weightPrefix) : GauOnnxHead
    {
        public override string Kind => "token_classification";
        public override string RawOutput => OnnxNames.Logits;
        public override IReadOnlyList<string> OutputNames => [OnnxNames.Logits];

        internal override void Write(GauGraphWriter graph)
        {
            if (tags < 1) throw new ArgumentOutOfRangeException(nameof(tags), tags, "A token head needs at least one tag.");
            string logits = graph.Linear(graph.Hidden, weightPrefix, tags, "tokens", quantize: false);
            graph.Output(logits, OnnxNames.Logits, OnnxNames.BatchAxis, OnnxNames.SequenceAxis, tags);
        }
    }

    private sealed class GlobalPointerHead(int types) : GauOnnxHead
    {
        private const int HeadSize = 64; // as GauMLNet's GlobalPointerHead

        public override string Kind => "global_pointer";
        public override string RawOutput => OnnxNames.SpanLogits;
        public override IReadOnlyList<string> OutputNames => [OnnxNames.SpanLogits];

        internal override void Write(GauGraphWriter graph)
        {
            var b = graph.Builder;
            string projected = graph.Linear(graph.Hidden, "head.dense", 2 * HeadSize, "gp/dense", quantize: false); // [b, n, 2h]
            var qk = b.Op("Split", ["gp/q", "gp/k"], [projected, b.Int64s(HeadSize, HeadSize)], "", Attr.Int("axis", -1));
            string q = graph.Rope(qk[0], HeadSize, "gp/q_rope");
            string k = graph.Rope(qk[1], HeadSize, "gp/k_rope");
            string logits = b.Op("Mul", "gp/logits", [b.Op("MatMul", "gp/qk", [q, b.Op("Transpose", "gp/k_t", [k], Attr.Ints("perm", 0, 2, 1))]), b.Scalar(1f / MathF.Sqrt(HeadSize))]);
            // Per-type biases: [b, n, 2t] / 2 → [b, t, 2, n]; start varies along rows (i), end along columns (j).
            string bias = b.Op("Mul", "gp/bias_half", [graph.Linear(projected, "head.bias_dense", 2 * types, "gp/bias", quantize: false, inputs: 2 * HeadSize), b.Scalar(0.5f)]);
            string grouped = b.Op("Reshape", "gp/bias_grouped", [b.Op("Transpose", "gp/bias_t", [bias], Attr.Ints("perm", 0, 2, 1)), b.Int64s(0, types, 2, -1)]);
            string start = b.Op("Unsqueeze", "gp/start", [b.Op("Gather", "gp/start_bias", [grouped, b.Scalar(0L)], Attr.Int("axis", 2)), b.Int64s(-1)]);
            string end = b.Op("Unsqueeze", "gp/end", [b.Op("Gather", "gp/end_bias", [grouped, b.Scalar(1L)], Attr.Int("axis", 2)), b.Int64s(-2)]);
            string spans = b.Op("Add", "gp/spans", [b.Op("Add", "gp/with_start", [b.Op("Unsqueeze", "gp/logits_t", [logits, b.Int64s(1)]), start]), end]);
            graph.Output(spans, OnnxNames.SpanLogits, OnnxNames.BatchAxis, types, OnnxNames.SequenceAxis, OnnxNames.SequenceAxis);
        }
    }
}
