using System.Text;
using System.Text.Json;
using GauMLNet.Storage;
using GauMLNet.Text;

namespace GauMLNet.TorchSharp.Training.Pretraining;

/// <summary>Reads pretraining text (plain lines or JSON lines) and packs it into sequences of up to MaxLength tokens.</summary>
public static class PretrainingCorpus
{
    private static readonly string[] DefaultJsonFields = ["sentence", "text", "content"];

    /// <summary>Texts of the files in order. A line starting with '{' is JSON: <paramref name="jsonField"/> (or sentence/text/content) is read.</summary>
    /// <param name="encoding">the files' encoding (default strict UTF-8); undecodable bytes are an error naming the file and line</param>
    public static IEnumerable<string> ReadTexts(IEnumerable<string> files, string? jsonField = null, Encoding? encoding = null)
    {
        foreach (string file in files)
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"Corpus file {file} does not exist.", file);
            int lineNumber = 0;
            foreach (string line in TextFiles.ReadAllLines(file, encoding))
            {
                lineNumber++;
                string trimmed = line.Trim();
                if (trimmed.Length == 0) continue;
                if (trimmed[0] != '{') { yield return trimmed; continue; }
                string? text;
                try
                {
                    using var doc = JsonDocument.Parse(trimmed);
                    var fields = jsonField is null ? DefaultJsonFields : [jsonField];
                    text = fields.Select(f => doc.RootElement.TryGetProperty(f, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null)
                        .FirstOrDefault(t => t is not null)
                        ?? throw new FormatException($"no string field {string.Join(" or ", fields.Select(f => $"'{f}'"))}");
                }
                catch (Exception ex) when (ex is JsonException or FormatException)
                {
                    throw new FormatException($"{file}:{lineNumber}: {ex.Message}", ex);
                }
                if (!string.IsNullOrWhiteSpace(text)) yield return text;
            }
        }
    }

    /// <summary>[CLS] doc [SEP] doc [SEP] … up to maxLength tokens; a document longer than a sequence continues in the next.</summary>
    public static List<int[]> Pack(IEnumerable<string> texts, GauTokenizer tokenizer, int maxLength)
    {
        if (maxLength < 8) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "MaxLength must be at least 8 for pretraining.");
        var sequences = new List<int[]>();
        var current = new List<int> { tokenizer.ClsId };
        foreach (string text in texts)
        {
            var pieces = tokenizer.Pieces(text);
            int at = 0;
            while (at < pieces.Count)
            {
                int room = maxLength - 1 - current.Count; // keep one place for the closing [SEP]
                if (room <= 0) { Close(); continue; }
                int take = Math.Min(room, pieces.Count - at);
                for (int i = 0; i < take; i++) current.Add(pieces[at + i]);
                at += take;
                if (at < pieces.Count) Close();
            }
            current.Add(tokenizer.SepId);
            if (current.Count >= maxLength - 2) { sequences.Add([.. current]); current = [tokenizer.ClsId]; }
        }
        if (current.Count > 1) sequences.Add([.. current]);
        return sequences;

        void Close()
        {
            current.Add(tokenizer.SepId);
            sequences.Add([.. current]);
            current = [tokenizer.ClsId];
        }
    }
}
