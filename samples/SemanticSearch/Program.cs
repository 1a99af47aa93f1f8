// Semantic search with GAU-α embeddings through Microsoft.Extensions.AI's IEmbeddingGenerator: embed the documents once,
// embed the query, rank the documents by cosine similarity. Any GAU model works: an embedding model, or a fine-tuned
// classifier whose encoder serves as the embedding model (the default: the quick start's sentiment model, so reviews
// that feel like the query rank first). Scores with ONNX Runtime; no libtorch.
// Run from the repository root after `gau quickstart`:
//   dotnet run --project samples/SemanticSearch -c Release -- [model.zip] ["query"] [documents.json] [top]
using System.Diagnostics;
using System.Text.Json;
using GauMLNet.Serving;
using GauMLNet.Tasks;
using Microsoft.Extensions.AI;

string modelPath = args.Length > 0 ? args[0] : Path.Combine("quickstart-output", "model.zip");
string query = args.Length > 1 ? args[1] : "质量很好，物流也快，非常满意";
string documentsPath = args.Length > 2 ? args[2] : Path.Combine("samples", "data", "sentiment", "dev.json");
int top = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 5;
if (!File.Exists(modelPath) && !Directory.Exists(modelPath))
{
    Console.Error.WriteLine($"error: no model at {modelPath}. Train one first: dotnet run --project src/GauMLNet.Cli -c Release -- quickstart");
    return 2;
}

// JSON lines with a "sentence" (and, if present, a "label" to show next to each hit).
var documents = File.ReadLines(documentsPath).Where(l => l.Trim().Length > 0).Select(l => JsonDocument.Parse(l).RootElement)
    .Select(e => (Text: e.GetProperty("sentence").GetString() ?? "", Label: e.TryGetProperty("label", out var label) ? label.GetString() : null))
    .Where(d => d.Text.Length > 0).ToArray();

var clock = Stopwatch.StartNew();
Console.WriteLine($"loading {modelPath} …");
using IEmbeddingGenerator<string, Embedding<float>> generator = GauEmbeddingGenerator.Load(modelPath, o =>
{
    o.Task = GauTask.Embedding; // a classifier's encoder; a no-op for an embedding model
    o.Engine = "onnxruntime";
    o.MaxBatchSize = 64;
});
var metadata = generator.GetService<EmbeddingGeneratorMetadata>()!;
Console.WriteLine($"model {metadata.DefaultModelId}: {metadata.DefaultModelDimensions} dimensions ({clock.Elapsed.TotalSeconds:F1} s)");

Console.WriteLine($"embedding {documents.Length} documents …");
var vectors = new List<Embedding<float>>(documents.Length);
foreach (var chunk in documents.Chunk(100)) // in chunks, to show progress
{
    vectors.AddRange(await generator.GenerateAsync(chunk.Select(d => d.Text)));
    Console.WriteLine($"  {vectors.Count}/{documents.Length} ({clock.Elapsed.TotalSeconds:F1} s)");
}
var queryVector = await generator.GenerateVectorAsync(query);

Console.WriteLine($"top {top} of {documents.Length} for \"{query}\":");
foreach (var (document, score) in documents.Zip(vectors, (d, v) => (d, GauScorerOperations.Cosine(queryVector.Span, v.Vector.Span)))
    .OrderByDescending(x => x.Item2).Take(top))
{
    Console.WriteLine($"  {score:F3}  {(document.Label is null ? "" : document.Label + "  ")}{document.Text}");
}
return 0;
