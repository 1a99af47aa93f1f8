using GauMLNet.MLNet;
using GauMLNet.Serving.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Serving.Tests;

/// <summary>
/// A saved pipeline is served whole: [CustomMapping normalisation → GAU classifier → MapKeyToValue] answers exactly what
/// the loaded model's Transform answers, and a transform the application cannot load stops the scorer with a clear error.
/// </summary>
[Collection(TrainedModelsCollection.Name)]
public sealed class PipelineServingTests(TrainedModels models)
{
    private static readonly object Saving = new();

    private string[] RawTexts => [.. models.Sentences.Select((s, i) => (i % 3) switch
    {
        0 => $"<p>{s}</p>",
        1 => $" {s[..(s.Length / 2)]}<br/> {s[(s.Length / 2)..]} ",
        _ => s,
    })];

    /// <summary>The fixture's trained GAU classifier between a CustomMapping and its MapKeyToValue, saved once.</summary>
    private string PipelinePath
    {
        get
        {
            string path = Path.Combine(models.Directory, "normalized-classifier.zip");
            lock (Saving)
            {
                if (File.Exists(path)) return path;
                var ml = new MLContext(seed: 1);
                var raw = ml.Data.LoadFromEnumerable(RawTexts.Select(t => new StripMarkup.Raw { RawText = t }));
                var normalize = ml.Transforms.CustomMapping(new StripMarkup().GetMapping(), StripMarkup.ContractName).Fit(raw);
                var parts = ((IEnumerable<ITransformer>)models.Classifier).ToList(); // MapValueToKey(Label), GAU, MapKeyToValue(PredictedLabel)
                var pipeline = new TransformerChain<ITransformer>(normalize, parts[1], parts[2]);
                ml.Model.Save(pipeline, raw.Schema, path);
            }
            return path;
        }
    }

    private (float[][] Scores, string[] Labels) Transform(IEnumerable<string> texts)
    {
        var ml = new MLContext(seed: 1);
        ml.ComponentCatalog.RegisterAssembly(typeof(StripMarkup).Assembly);
        var model = ml.Model.LoadGauModel(PipelinePath, out _);
        try
        {
            var scored = model.Transform(ml.Data.LoadFromEnumerable(texts.Select(t => new StripMarkup.Raw { RawText = t })));
            return ([.. scored.GetColumn<float[]>("Score")], [.. scored.GetColumn<string>("PredictedLabel")]);
        }
        finally
        {
            foreach (var gau in MLNet.CluePipeline.GauTransformers(model)) gau.Dispose();
        }
    }

    [Fact]
    public async Task ThePipelineIsServedAsTransformScoresIt()
    {
        string[] raw = RawTexts;
        var (scores, labels) = Transform(raw);
        await using var scorer = new GauBatchingScorer(new GauScoringOptions
        {
            ModelPath = PipelinePath,
            ComponentAssemblies = [typeof(StripMarkup).Assembly],
            MaxBatchSize = 64,
        });

        var info = await scorer.GetInfoAsync();
        Assert.Equal(["CustomMappingTransformer`2", "GauTextClassificationTransformer", "KeyToValueMappingTransformer"], info.Transforms);

        // One request of every row: one in-memory data view through the pipeline, as Transform ran it.
        var served = await scorer.ScoreDetailedAsync([.. raw.Select(t => new GauInput(t))]);
        Assert.Equal(labels, served.Labels);
        for (int i = 0; i < raw.Length; i++) Assert.Equal(scores[i], served.Values[i]);
        Assert.Equal(1, scorer.Statistics.Requests);

        // Concurrent requests (batched as they come) and the typed call answer the same.
        var each = await Task.WhenAll(raw.Select(t => scorer.ClassifyAsync(t)));
        Assert.Equal(labels, each.Select(c => c.Label));
        for (int i = 0; i < raw.Length; i++)
            for (int k = 0; k < info.Labels.Count; k++) Assert.Equal(scores[i][k], each[i].Probabilities[info.Labels[k]], 5);

        // The normalisation ran: the GAU classifier alone, given the normalised text, predicts the same.
        var direct = models.Predict(raw.Select(StripMarkup.Normalize));
        Assert.Equal(direct.Select(d => d.Label), labels);
        for (int i = 0; i < raw.Length; i++)
            for (int k = 0; k < info.Labels.Count; k++) Assert.Equal(direct[i].Score[k], scores[i][k], 4);
    }

    [Fact]
    public async Task AnMLContextThatKnowsTheFactoryServesItToo()
    {
        var ml = new MLContext();
        ml.ComponentCatalog.RegisterAssembly(typeof(StripMarkup).Assembly);
        await using var scorer = new GauBatchingScorer(new GauScoringOptions { ModelPath = PipelinePath, MLContext = ml });
        var (_, labels) = Transform(RawTexts[..2]);
        Assert.Equal(labels, (await scorer.ClassifyAsync([.. RawTexts[..2].Select(t => new GauInput(t))])).Select(c => c.Label));
    }

    [Fact]
    public async Task ATransformTheApplicationCannotLoadIsAClearErrorAtWarmUp()
    {
        // ML.NET finds a factory in any assembly already loaded, so the model is re-labelled with a contract no assembly
        // here declares: a pipeline saved by an application whose factory this one does not have.
        string path = Path.Combine(models.Directory, "unknown-mapping.zip");
        WithContract(PipelinePath, path, StripMarkup.ContractName, StripMarkup.ContractName[..^1] + "?");
        await using var scorer = new GauBatchingScorer(new GauScoringOptions { ModelPath = path, ComponentAssemblies = [typeof(StripMarkup).Assembly] });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => scorer.WarmUpAsync());
        Assert.Contains(path, error.Message);
        Assert.Contains(nameof(GauScoringOptions.ComponentAssemblies), error.Message);
        Assert.Contains($"contract '{StripMarkup.ContractName[..^1]}?'", error.Message); // ML.NET's own words, brought up from its wrappers
        Assert.Same(error, scorer.LoadError);
        Assert.False(scorer.IsReady);
        await Assert.ThrowsAsync<InvalidOperationException>(() => scorer.ScoreAsync(["好"]));
    }

    // Copies a model file with a string replaced by one of the same length in every entry, as UTF-8 or UTF-16 (ML.NET's
    // string table); the zip's CRCs are written anew.
    private static void WithContract(string from, string to, string contract, string replacement)
    {
        using var source = System.IO.Compression.ZipFile.OpenRead(from);
        using var target = System.IO.Compression.ZipFile.Open(to, System.IO.Compression.ZipArchiveMode.Create);
        var encodings = new[] { System.Text.Encoding.UTF8, System.Text.Encoding.Unicode };
        int replaced = 0;
        foreach (var entry in source.Entries)
        {
            using var input = entry.Open();
            using var buffer = new MemoryStream();
            input.CopyTo(buffer);
            byte[] bytes = buffer.ToArray();
            foreach (var encoding in encodings)
            {
                byte[] find = encoding.GetBytes(contract), put = encoding.GetBytes(replacement);
                for (int at = bytes.AsSpan().IndexOf(find); at >= 0; at = bytes.AsSpan().IndexOf(find))
                {
                    put.CopyTo(bytes, at);
                    replaced++;
                }
            }
            using var output = target.CreateEntry(entry.FullName).Open();
            output.Write(bytes);
        }
        Assert.True(replaced > 0, $"no '{contract}' in {from}");
    }

    [Fact]
    public async Task AGauTransformerAloneKeepsTheFastPathAndAPipelinesEncoderServesEmbeddings()
    {
        await using var alone = new GauBatchingScorer(new GauScoringOptions { ModelPath = models.EmbedderPath });
        Assert.Empty((await alone.GetInfoAsync()).Transforms);
        var tokens = (await alone.ScoreDetailedAsync(["甲乙丙"])).Tokens;
        Assert.NotNull(tokens); // tokenized on the caller's thread, counted from that one tokenization

        await using var encoder = new GauBatchingScorer(new GauScoringOptions
        {
            ModelPath = PipelinePath,
            ComponentAssemblies = [typeof(StripMarkup).Assembly],
            Task = Tasks.GauTask.Embedding,
            Engine = "onnxruntime",
        });
        var info = await encoder.GetInfoAsync();
        Assert.Equal(["CustomMappingTransformer`2", "GAU encoder (embedding)"], info.Transforms);
        var raw = RawTexts[..4];
        var vectors = await encoder.ScoreDetailedAsync([.. raw.Select(t => new GauInput(t))]);
        var expected = await encoder.ScoreDetailedAsync([.. raw.Select(t => new GauInput(StripMarkup.Normalize(t)))]); // markup-free text normalises to itself
        for (int i = 0; i < raw.Length; i++) Assert.Equal(expected.Values[i], vectors.Values[i]);
        Assert.Equal(expected.Tokens, vectors.Tokens);
    }
}
