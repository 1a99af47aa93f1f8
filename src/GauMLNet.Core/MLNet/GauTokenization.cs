using GauMLNet.Storage;
using GauMLNet.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.MLNet;

/// <summary>
/// <c>mlContext.Transforms.GauTokenize(…)</c>: text (or a sentence pair) → the three int64 vector columns a GAU-α ONNX
/// graph takes — input_ids, token_type_ids, attention_mask — each padded to MaxLength, so an exported model runs
/// through ML.NET's own <c>ApplyOnnxModel</c>. Over-long text is truncated (longest side first for pairs). The
/// mapping is not saved in model.zip (it is a CustomMapping without a contract): keep the vocabulary beside the model.
/// </summary>
public static class GauTokenization
{
    public const string InputIds = "input_ids";
    public const string TokenTypeIds = "token_type_ids";
    public const string AttentionMask = "attention_mask";

    /// <param name="vocabularyOrModelDirectory">a vocab.txt, or a folder holding one (a checkpoint or `gau export` output)</param>
    public static IEstimator<ITransformer> GauTokenize(this TransformsCatalog catalog, string vocabularyOrModelDirectory,
        string inputColumnName = "Sentence", string? secondInputColumnName = null, int maxLength = 128)
    {
        string vocab = Directory.Exists(vocabularyOrModelDirectory) ? CheckpointFiles.VocabPath(vocabularyOrModelDirectory) : vocabularyOrModelDirectory;
        var tokenizer = GauTokenizer.FromVocabFile(vocab);
        if (maxLength < (secondInputColumnName is null ? 3 : 4)) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "MaxLength must leave room for the special tokens.");

        var output = SchemaDefinition.Create(typeof(TokenizedRow));
        foreach (var column in output) column.ColumnType = new VectorDataViewType(NumberDataViewType.Int64, maxLength);
        void Fill(string? first, string? second, TokenizedRow row)
        {
            var encoded = tokenizer.Encode(first, second, maxLength);
            row.input_ids = new long[maxLength];
            row.token_type_ids = new long[maxLength];
            row.attention_mask = new long[maxLength];
            if (tokenizer.PadId != 0) Array.Fill(row.input_ids, tokenizer.PadId);
            for (int t = 0; t < encoded.Length; t++)
            {
                row.input_ids[t] = encoded.Ids[t];
                row.token_type_ids[t] = encoded.TypeIds[t];
                row.attention_mask[t] = 1;
            }
        }
        if (secondInputColumnName is null)
        {
            var input = SchemaDefinition.Create(typeof(OneText));
            input[0].ColumnName = inputColumnName;
            return catalog.CustomMapping<OneText, TokenizedRow>((src, dst) => Fill(src.Text ?? "", null, dst), contractName: null, input, output);
        }
        var pairInput = SchemaDefinition.Create(typeof(TwoTexts));
        pairInput[0].ColumnName = inputColumnName;
        pairInput[1].ColumnName = secondInputColumnName;
        return catalog.CustomMapping<TwoTexts, TokenizedRow>((src, dst) => Fill(src.First ?? "", src.Second ?? "", dst), contractName: null, pairInput, output);
    }

#pragma warning disable IDE1006 // the column names are the ONNX inputs' names
    private sealed class OneText
    {
        public string? Text { get; set; }
    }

    private sealed class TwoTexts
    {
        public string? First { get; set; }
        public string? Second { get; set; }
    }

    private sealed class TokenizedRow
    {
        public long[] input_ids { get; set; } = [];
        public long[] token_type_ids { get; set; } = [];
        public long[] attention_mask { get; set; } = [];
    }
#pragma warning restore IDE1006
}
