using System.Text;
using System.Text.Json;
using GauMLNet.QuestionAnswering;
using GauMLNet.Storage;

namespace GauMLNet.Clue;

/// <summary>
/// SQuAD-style JSON as CMRC 2018 ships it: <c>{"data": [{"paragraphs": [{"context", "qas": [{"id", "question",
/// "answers": [{"text", "answer_start"}]}]}]}]}</c>. Every answer is checked against its context; an error names the file
/// and the question id (or the article and paragraph).
/// </summary>
public static class SquadJson
{
    /// <summary>The official CMRC 2018 prediction file: <c>{question id: answer}</c>.</summary>
    public const string PredictionFile = "cmrc2018_predict.json";

    /// <summary>Every question of a file, in order; with <paramref name="requireAnswers"/> a question without an answer is an error.</summary>
    public static List<QuestionAnsweringExample> Read(string path, bool requireAnswers, Encoding? encoding = null)
    {
        string text = TextFiles.ReadAllText(path, encoding);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}:{ex.LineNumber + 1}: not valid JSON ({ex.Message})", ex);
        }
        using (document)
        {
            var examples = new List<QuestionAnsweringExample>();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{path}: no \"data\" array at the top — is this SQuAD-style JSON?");
            int article = 0;
            foreach (var entry in data.EnumerateArray())
            {
                article++;
                if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("paragraphs", out var paragraphs) || paragraphs.ValueKind != JsonValueKind.Array)
                    throw new InvalidDataException($"{path}: article {article} has no \"paragraphs\" array.");
                int paragraph = 0;
                foreach (var p in paragraphs.EnumerateArray())
                {
                    paragraph++;
                    string where = $"{path}: article {article}, paragraph {paragraph}";
                    string context = String(p, "context", where);
                    if (string.IsNullOrWhiteSpace(context)) throw new InvalidDataException($"{where}: the context is empty.");
                    if (!p.TryGetProperty("qas", out var questions) || questions.ValueKind != JsonValueKind.Array)
                        throw new InvalidDataException($"{where}: no \"qas\" array.");
                    foreach (var q in questions.EnumerateArray())
                        examples.Add(ReadQuestion(q, context, where, path, ids, requireAnswers));
                }
            }
            if (examples.Count == 0) throw new InvalidDataException($"{path} holds no questions.");
            return examples;
        }
    }

    private static QuestionAnsweringExample ReadQuestion(JsonElement q, string context, string where, string path, HashSet<string> ids, bool requireAnswers)
    {
        if (q.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where}: a question is not a JSON object.");
        string id = q.TryGetProperty("id", out var idElement) && idElement.ValueKind is JsonValueKind.String or JsonValueKind.Number
            ? idElement.ToString().Trim()
            : throw new InvalidDataException($"{where}: a question has no \"id\".");
        string at = $"{path}: question '{id}'";
        if (id.Length == 0) throw new InvalidDataException($"{where}: a question's \"id\" is empty.");
        if (!ids.Add(id)) throw new InvalidDataException($"{at}: the id is used twice.");
        string question = String(q, "question", at); // may be empty: CMRC 2018's own files have such questions
        var answers = new List<AnswerSpan>();
        if (q.TryGetProperty("answers", out var list))
        {
            if (list.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{at}: \"answers\" is not an array.");
            foreach (var a in list.EnumerateArray())
            {
                string answer = String(a, "text", at + ", an answer");
                if (answer.Length == 0) throw new InvalidDataException($"{at}: an answer's text is empty.");
                if (!a.TryGetProperty("answer_start", out var startElement) || !startElement.TryGetInt32(out int start))
                    throw new InvalidDataException($"{at}: the answer '{answer}' has no integer \"answer_start\".");
                if (start < 0 || start + answer.Length > context.Length || string.CompareOrdinal(context, start, answer, 0, answer.Length) != 0)
                {
                    string there = start >= 0 && start < context.Length ? context.Substring(start, Math.Min(answer.Length, context.Length - start)) : "";
                    throw new InvalidDataException($"{at}: answer_start {start} does not point at the answer '{answer}' " +
                        (start < 0 || start >= context.Length ? $"(the context has {context.Length} characters)." : $"(the context has '{there}' there)."));
                }
                answers.Add(new AnswerSpan(answer, start));
            }
        }
        if (requireAnswers && answers.Count == 0) throw new InvalidDataException($"{at}: no answer (training and evaluation need one).");
        return new QuestionAnsweringExample(id, context, question, answers);
    }

    private static string String(JsonElement element, string name, string where) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new InvalidDataException($"{where}: no string \"{name}\".");

    /// <summary>Writes <c>{question id: answer}</c> (the official prediction format) atomically.</summary>
    public static void WritePredictions(string path, IReadOnlyList<QuestionAnsweringExample> questions, IReadOnlyList<string> answers)
    {
        if (questions.Count != answers.Count) throw new ArgumentException($"{answers.Count} answers for {questions.Count} questions.", nameof(answers));
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < questions.Count; i++) map[questions[i].Id] = answers[i];
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, map,
            new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }
}
