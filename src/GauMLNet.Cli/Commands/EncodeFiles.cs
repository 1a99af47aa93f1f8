using System.Text.Json;
using GauMLNet.Cli.Failures;
using GauMLNet.TorchSharp;

namespace GauMLNet.Cli.Commands;

/// <summary>A padded batch of token ids as `gau encode --input` reads it.</summary>
internal sealed record EncodeBatch(long[][] InputIds, long[][]? TokenTypeIds, long[][]? AttentionMask);

/// <summary>A reference implementation's output as `gau encode --compare` reads it.</summary>
internal sealed record EncodeReference(float[][][] LastHiddenState, float[][] MlmLogitsFirstToken);

/// <summary>
/// The files `gau encode` reads: its input batch and the reference it compares with. Both are user files, so every
/// missing key, wrong type, null, ragged row or count that does not match is an <see cref="InvalidDataException"/>
/// naming the file and the key (with its index). Defaults: a missing or null token_type_ids is all zeros and a
/// missing or null attention_mask all ones (every token real), as in the reference implementations.
/// </summary>
internal static class EncodeFiles
{
    public const string InputIds = "input_ids";
    public const string TokenTypeIds = "token_type_ids";
    public const string AttentionMask = "attention_mask";
    public const string LastHiddenState = "last_hidden_state";
    public const string MlmLogitsFirstToken = "mlm_logits_first_token";

    public static EncodeBatch ReadInputs(string path) => ReadInputs(ReadBytes(path), path);

    public static EncodeBatch ReadInputs(byte[] json, string path)
    {
        using var document = Parse(json, path, "encode input");
        var root = document.RootElement;
        var ids = Matrix(Required(root, InputIds, path), path, InputIds, (e, at) => Integer(e, path, at));
        long[][]? Optional(string key) => root.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null
            ? Matrix(value, path, key, (e, at) => Integer(e, path, at))
            : null;
        return new EncodeBatch(ids, Optional(TokenTypeIds), Optional(AttentionMask));
    }

    public static EncodeReference ReadReference(string path) => ReadReference(ReadBytes(path), path);

    public static EncodeReference ReadReference(byte[] json, string path)
    {
        using var document = Parse(json, path, "reference output");
        var root = document.RootElement;
        var hidden = Array(Required(root, LastHiddenState, path), path, LastHiddenState,
            (sequence, at) => Matrix(sequence, path, at, (e, where) => Finite(e, path, where)));
        var logits = Matrix(Required(root, MlmLogitsFirstToken, path), path, MlmLogitsFirstToken, (e, at) => Finite(e, path, at));
        if (hidden.Length != logits.Length)
            throw new InvalidDataException($"{path}: '{LastHiddenState}' has {hidden.Length} sequences but '{MlmLogitsFirstToken}' has {logits.Length}.");
        return new EncodeReference(hidden, logits);
    }

    /// <summary>Encodes the batch; a batch the encoder refuses (ragged, ids outside the vocabulary) is an error in <paramref name="path"/>.</summary>
    public static EncoderOutput[] Encode(GauAlphaEncoder encoder, EncodeBatch batch, string path)
    {
        try { return encoder.Encode(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask); }
        catch (ArgumentException ex) { throw new InvalidDataException($"{path}: {ErrorReport.Clean(ex)}", ex); }
    }

    /// <summary>Largest differences from the reference; shapes that do not match the encoding are an error in <paramref name="path"/>.</summary>
    public static (double Hidden, double Logits) Compare(IReadOnlyList<EncoderOutput> encoded, EncodeReference reference, string path)
    {
        try { return EncodingComparison.MaxAbsDifference(encoded, reference.LastHiddenState, reference.MlmLogitsFirstToken); }
        catch (InvalidDataException ex) { throw new InvalidDataException($"{path}: {ex.Message}", ex); }
    }

    private static byte[] ReadBytes(string path) =>
        File.Exists(path) ? File.ReadAllBytes(path) : throw new FileNotFoundException($"{path} does not exist.", path);

    private static JsonDocument Parse(byte[] json, string path, string what)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(json); }
        catch (JsonException ex) { throw new InvalidDataException($"{path}: not a valid {what} ({ex.Message}).", ex); }
        var kind = document.RootElement.ValueKind;
        if (kind == JsonValueKind.Object) return document;
        document.Dispose();
        throw new InvalidDataException($"{path}: not a valid {what}: expected a JSON object, found {Kind(kind)}.");
    }

    private static JsonElement Required(JsonElement root, string key, string path) =>
        !root.TryGetProperty(key, out var value) ? throw new InvalidDataException($"{path}: the key '{key}' is missing.")
        : value.ValueKind == JsonValueKind.Null ? throw new InvalidDataException($"{path}: '{key}' is null.")
        : value;

    private static T[] Array<T>(JsonElement element, string path, string at, Func<JsonElement, string, T> item)
    {
        if (element.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{path}: '{at}' must be an array, found {Kind(element.ValueKind)}.");
        var items = new T[element.GetArrayLength()];
        int i = 0;
        foreach (var e in element.EnumerateArray()) { items[i] = item(e, $"{at}[{i}]"); i++; }
        return items;
    }

    private static T[][] Matrix<T>(JsonElement element, string path, string at, Func<JsonElement, string, T> value) =>
        Array(element, path, at, (row, where) => Array(row, path, where, value));

    private static long Integer(JsonElement e, string path, string at) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long v) ? v
        : throw new InvalidDataException($"{path}: '{at}' must be an integer, found {Show(e)}.");

    private static float Finite(JsonElement e, string path, string at) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetSingle(out float v) && float.IsFinite(v) ? v
        : throw new InvalidDataException($"{path}: '{at}' must be a finite number, found {Show(e)}.");

    private static string Show(JsonElement e) => e.ValueKind != JsonValueKind.Number ? Kind(e.ValueKind)
        : e.GetRawText() is { Length: > 40 } raw ? raw[..40] + "…" : e.GetRawText();

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
