using GauMLNet.Configuration;
using GauMLNet.Scoring;
using GauMLNet.Storage;
using GauMLNet.Tasks;
using GauMLNet.Text;

namespace GauMLNet.Entities;

/// <summary>
/// Named entities of texts with a fitted token-classification model: character-aligned tokens, windows that fit the
/// model, length-sorted batches through the model's engine, decoding that never yields an invalid span, merge.
/// </summary>
public sealed class EntityRecognizer
{
    /// <summary>The CRF's parameters, as the TorchSharp network names them.</summary>
    public const string CrfTransitions = "head.crf.transitions", CrfStart = "head.crf.start_transitions", CrfEnd = "head.crf.end_transitions";

    private readonly GauTaskModel _model;

    public EntityRecognizer(GauTaskModel model)
    {
        if (model.Spec.Task != GauTask.TokenClassification)
            throw new InvalidOperationException($"a {model.Spec.Task} model does not recognize entities.");
        _model = model;
        Tokenizer = new CharacterTokenizer(model.Tokenizer);
        Decoder = DecoderFor(model.Spec, model.Package.Weights, model.Package.Source);
    }

    public CharacterTokenizer Tokenizer { get; }
    public EntityDecoder Decoder { get; }

    /// <summary>The decoder of a spec, reading a CRF's transitions from the weights.</summary>
    public static EntityDecoder DecoderFor(GauTaskSpec spec, byte[]? weights, string source)
    {
        var head = spec.EntityHead!.Value;
        if (head != EntityHead.Crf) return new EntityDecoder(head, spec.EntityTypes!);
        var tensors = SafeTensorsFile.Read(weights ?? throw new InvalidDataException($"{source}: a CRF model needs its weights to decode."), source,
            name => name is CrfTransitions or CrfStart or CrfEnd); // three small tensors, not a copy of the whole model
        float[] Read(string name) => tensors.TryGetValue(name, out var t) ? t.ToFloat32(name) : throw new InvalidDataException($"{source}: the CRF tensor {name} is missing.");
        return new EntityDecoder(head, spec.EntityTypes!, (Read(CrfTransitions), Read(CrfStart), Read(CrfEnd)));
    }

    /// <summary>The entities of each text, in order.</summary>
    public List<Entity>[] Recognize(IReadOnlyList<string> texts)
    {
        var aligned = texts.Select(t => Tokenizer.Encode(t ?? "")).ToList();
        var windows = aligned.Select(a => EntityWindows.Split(a, _model.Spec.MaxLength)).ToList();
        var flat = windows.SelectMany(w => w).ToList();
        var encoded = flat.Select(w => EntityWindows.Encode(w, _model.Tokenizer)).ToArray();
        var outputs = _model.Run(encoded);
        var results = new List<Entity>[texts.Count];
        for (int t = 0, k = 0; t < texts.Count; t++)
        {
            var perWindow = windows[t].Select((w, i) => Decoder.Decode(w, outputs[k + i])).ToList();
            results[t] = EntityWindows.Merge(windows[t], perWindow);
            k += windows[t].Count;
        }
        return results;
    }
}
