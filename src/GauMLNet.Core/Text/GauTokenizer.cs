using Microsoft.ML.Tokenizers;

namespace GauMLNet.Text;

/// <summary>
/// BERT-style tokenization over a vocab.txt (WordPiece, CJK characters split individually, lower-cased),
/// producing [CLS] a [SEP] or [CLS] a [SEP] b [SEP] with segment ids 0/1. Over-long inputs are cut
/// longest-first and flagged, never silently.
/// </summary>
public sealed class GauTokenizer
{
    private readonly BertTokenizer _tokenizer;

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;

    private GauTokenizer(BertTokenizer tokenizer, string[] tokens)
    {
        _tokenizer = tokenizer;
        _tokens = tokens;
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) _ids.TryAdd(tokens[i], i);
    }

    /// <summary>The id of a vocabulary entry, or null when the vocabulary lacks it.</summary>
    public int? Id(string token) => _ids.TryGetValue(token, out int id) ? id : null;

    public int VocabSize => _tokens.Length;

    /// <summary>The vocabulary entry of an id (e.g. "##ing" for a WordPiece continuation).</summary>
    public string Token(int id) => _tokens[id];
    public int PadId => _tokenizer.PaddingTokenId;
    public int ClsId => _tokenizer.ClassificationTokenId;
    public int SepId => _tokenizer.SeparatorTokenId;
    public int MaskId => _tokenizer.MaskingTokenId;
    public int UnknownId => _tokenizer.UnknownTokenId;

    public static GauTokenizer FromVocabFile(string vocabPath)
    {
        if (!File.Exists(vocabPath)) throw new FileNotFoundException($"Vocabulary file {vocabPath} does not exist.", vocabPath);
        return FromVocabText(Storage.TextFiles.ReadAllText(vocabPath), vocabPath); // strict UTF-8, like every other file GauMLNet reads
    }

    /// <summary>From the text of a vocab.txt (one token per line, the line number is the id).</summary>
    public static GauTokenizer FromVocabText(string vocabText, string source = "vocab.txt")
    {
        try
        {
            using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(vocabText));
            var tokenizer = BertTokenizer.Create(stream, new BertOptions { LowerCaseBeforeTokenization = true, IndividuallyTokenizeCjk = true });
            var tokens = vocabText.Split('\n').Select(line => line.TrimEnd('\r')).ToList();
            while (tokens.Count > 0 && tokens[^1].Length == 0) tokens.RemoveAt(tokens.Count - 1); // the file's final newline
            return new GauTokenizer(tokenizer, [.. tokens]);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{source}: not a usable BERT vocabulary ({ex.Message}).", ex);
        }
    }

    /// <summary>Word pieces of a text, without special tokens. Null or empty text gives no pieces.</summary>
    public IReadOnlyList<int> Pieces(string? text) =>
        string.IsNullOrEmpty(text) ? [] : _tokenizer.EncodeToIds(text, addSpecialTokens: false);

    /// <summary>Encodes one text or a pair, cutting the longer side first until it fits maxLength.</summary>
    public EncodedText Encode(string? first, string? second, int maxLength)
    {
        bool pair = second is not null;
        int specials = pair ? 3 : 2;
        if (maxLength <= specials) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"MaxLength must exceed {specials} (the special tokens).");
        var a = Pieces(first).ToList();
        var b = pair ? Pieces(second).ToList() : null;
        bool truncated = false;
        int budget = maxLength - specials;
        while (a.Count + (b?.Count ?? 0) > budget)
        {
            truncated = true;
            var longer = b is not null && b.Count > a.Count ? b : a;
            longer.RemoveAt(longer.Count - 1);
        }
        var ids = _tokenizer.BuildInputsWithSpecialTokens(a, b);
        var types = _tokenizer.CreateTokenTypeIdsFromSequences(a, b);
        return new EncodedText([.. ids], [.. types], truncated);
    }
}
