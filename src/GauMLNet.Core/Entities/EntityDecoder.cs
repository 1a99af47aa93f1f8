using GauMLNet.Configuration;

namespace GauMLNet.Entities;

/// <summary>
/// Turns a window's raw head output into entities, never an invalid span. BIO heads (softmax, CRF): Viterbi over the
/// tokens with transitions that break BIO (O → I-x, B-x → I-y, a sequence starting with I-x) forbidden; the CRF adds its
/// learned transition, start and end scores. GlobalPointer: every (start ≤ end) span of real tokens scoring above 0.
/// </summary>
public sealed class EntityDecoder
{
    private readonly float[]? _transitions, _start, _end;

    /// <param name="crf">the CRF's transitions [tags × tags] (row = previous tag), start and end scores; null for the other heads</param>
    public EntityDecoder(EntityHead head, IReadOnlyList<string> types, (float[] Transitions, float[] Start, float[] End)? crf = null)
    {
        Head = head;
        Tags = new BioTags(types);
        if (head == EntityHead.Crf)
        {
            var (transitions, start, end) = crf ?? throw new ArgumentException("A CRF head decodes with its learned transitions.", nameof(crf));
            if (transitions.Length != Tags.Count * Tags.Count || start.Length != Tags.Count || end.Length != Tags.Count)
                throw new InvalidDataException($"the CRF's transitions are {transitions.Length}, {start.Length}, {end.Length} values; {Tags.Count} tags need {Tags.Count * Tags.Count}, {Tags.Count}, {Tags.Count}.");
            (_transitions, _start, _end) = (transitions, start, end);
        }
    }

    public EntityHead Head { get; }
    public BioTags Tags { get; }

    /// <summary>Outputs per position: BIO tags, or entity types for GlobalPointer.</summary>
    public int Width => Head == EntityHead.GlobalPointer ? Tags.Types.Count : Tags.Count;

    /// <summary>
    /// The entities of one window. <paramref name="values"/> is the window's row of the engine output: [positions, tags]
    /// for BIO heads, [types, positions, positions] for GlobalPointer; position 0 is [CLS], the window's tokens follow.
    /// </summary>
    internal List<Entity> Decode(AlignedTextView window, float[] values)
    {
        if (window.Length == 0) return [];
        return Head == EntityHead.GlobalPointer ? DecodeSpans(window, values) : Tags.ToEntities(window, Viterbi(window.Length, values));
    }

    private List<Entity> DecodeSpans(AlignedTextView window, float[] values)
    {
        int types = Tags.Types.Count;
        int positions = (int)Math.Round(Math.Sqrt(values.Length / (double)types));
        if (positions * positions * types != values.Length || positions < window.Length + 2)
            throw new InvalidDataException($"a GlobalPointer output of {values.Length} values does not fit {types} types over a window of {window.Length} tokens.");
        var entities = new List<Entity>();
        for (int t = 0; t < types; t++)
            for (int i = 0; i < window.Length; i++)
                for (int j = i; j < window.Length; j++)
                    if (values[(t * positions + i + 1) * positions + j + 1] > 0) entities.Add(window.EntityOf(Tags.Types[t], i, j));
        return entities;
    }

    private int[] Viterbi(int length, float[] values)
    {
        int tags = Tags.Count;
        int positions = values.Length / tags;
        if (positions * tags != values.Length || positions < length + 2)
            throw new InvalidDataException($"a tag output of {values.Length} values does not fit {tags} tags over a window of {length} tokens.");
        double Emission(int token, int tag) => values[(token + 1) * tags + tag]; // +1: after [CLS]
        double[] Scores(int token)
        {
            var scores = new double[tags];
            if (Head == EntityHead.Crf) { for (int k = 0; k < tags; k++) scores[k] = Emission(token, k); return scores; }
            double max = double.NegativeInfinity, sum = 0; // softmax head: log-probabilities
            for (int k = 0; k < tags; k++) max = Math.Max(max, Emission(token, k));
            for (int k = 0; k < tags; k++) sum += Math.Exp(Emission(token, k) - max);
            for (int k = 0; k < tags; k++) scores[k] = Emission(token, k) - max - Math.Log(sum);
            return scores;
        }

        var best = new double[length, tags];
        var back = new int[length, tags];
        var first = Scores(0);
        for (int k = 0; k < tags; k++)
            best[0, k] = BioTags.Allowed(-1, k) ? first[k] + (_start?[k] ?? 0) : double.NegativeInfinity;
        for (int t = 1; t < length; t++)
        {
            var emission = Scores(t);
            for (int k = 0; k < tags; k++)
            {
                double top = double.NegativeInfinity;
                int arg = 0;
                for (int p = 0; p < tags; p++)
                {
                    if (!BioTags.Allowed(p, k)) continue;
                    double score = best[t - 1, p] + (_transitions?[p * tags + k] ?? 0);
                    if (score > top) { top = score; arg = p; }
                }
                best[t, k] = top + emission[k];
                back[t, k] = arg;
            }
        }
        int last = 0;
        double bestScore = double.NegativeInfinity;
        for (int k = 0; k < tags; k++)
        {
            double score = best[length - 1, k] + (_end?[k] ?? 0);
            if (score > bestScore) { bestScore = score; last = k; }
        }
        var path = new int[length];
        path[length - 1] = last;
        for (int t = length - 1; t > 0; t--) path[t - 1] = back[t, path[t]];
        return path;
    }
}
