using GauMLNet.Scoring;

namespace GauMLNet.Serving;

/// <summary>
/// What a scorer serves: the GAU model, and — when the model file saved a pipeline around it — the ML.NET transforms that
/// run before and after it for every batch. Without a pipeline (a GAU transformer alone, or a model directory) requests take
/// the fast path: tokenized on the caller's thread and scored by the engine with no data view in between.
/// </summary>
public sealed class GauServedModel : IDisposable
{
    internal GauServedModel(GauTaskModel model, GauServingPipeline? pipeline)
    {
        Model = model;
        Pipeline = pipeline;
    }

    /// <summary>The GAU model that scores (its engine, tokenizer and task).</summary>
    public GauTaskModel Model { get; }

    internal GauServingPipeline? Pipeline { get; }

    /// <summary>The saved pipeline's transforms in order, by type name; empty on the fast path.</summary>
    public IReadOnlyList<string> Transforms => Pipeline?.Description ?? [];

    public void Dispose() => Model.Dispose();
}
