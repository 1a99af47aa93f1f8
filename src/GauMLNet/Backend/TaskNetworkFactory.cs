using GauMLNet.Configuration;
using GauMLNet.Tasks;
using GauMLNet.TorchSharp.Modeling;

namespace GauMLNet.TorchSharp.Backend;

/// <summary>The network of each task a model description (<see cref="GauTaskSpec"/>) names: where Core's tasks meet the modeling.</summary>
public static class TaskNetworkFactory
{
    /// <summary>The network for a task, with untouched (default-initialised) weights, for loading saved weights into.</summary>
    /// <param name="outputs">classes, 1 (regression), the hidden size (embedding), BIO tags or entity types (token classification)</param>
    /// <param name="head">token classification: the entity head</param>
    public static TaskNetwork Create(GauTask task, GauAlphaConfig config, int outputs, SequencePooling pooling, EntityHead? head = null) => task switch
    {
        GauTask.Classification or GauTask.Regression => new GauAlphaForSequenceTask(config, outputs, pooling),
        GauTask.Embedding => new GauAlphaForEmbedding(config, pooling),
        GauTask.TokenClassification => new GauAlphaForTokenClassification(config, head ?? throw new ArgumentNullException(nameof(head), "Token classification needs an entity head."), outputs),
        GauTask.QuestionAnswering => new GauAlphaForQuestionAnswering(config),
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "No network for this task."),
    };

    /// <summary>The network of a task description (task, outputs, pooling, entity head).</summary>
    public static TaskNetwork Create(GauTaskSpec spec, GauAlphaConfig config) => Create(spec.Task, config, spec.Outputs, spec.Pooling, spec.EntityHead);

    /// <summary>The network for a task with its initial weights drawn by the config's initializer from <paramref name="seed"/>.</summary>
    public static TaskNetwork CreateInitialized(GauTaskSpec spec, GauAlphaConfig config, long seed)
    {
        var network = Create(spec, config);
        TaskNetworks.Initialize(network, config, seed);
        return network;
    }

}
