using GauMLNet.Checkpoints;
using GauMLNet.Engines;
using GauMLNet.Entities;
using GauMLNet.Modeling;
using GauMLNet.Runtime;
using GauMLNet.Tasks;
using GauMLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.Engine;

/// <summary>Builds and fine-tunes task networks with TorchSharp for the ML.NET estimators.</summary>
public sealed class TorchSharpTrainingBackend : IGauTrainingBackend
{
    public static TorchSharpTrainingBackend Instance { get; } = new();

    public IGauTrainableNetwork Build(GauModelSource source, GauTaskSpec spec, int seed)
    {
        var network = TaskNetworks.CreateInitialized(spec, source.Config, seed);
        try
        {
            if (source.PretrainedDirectory is { } pretrained) CheckpointDirectory.LoadBackbone(pretrained, network.Backbone);
            return new TrainableNetwork(network, spec);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private sealed class TrainableNetwork(TaskNetwork network, GauTaskSpec spec) : IGauTrainableNetwork
    {
        private bool _handedOver;

        public FineTuningResult FineTune(FineTuningJob job)
        {
            if (job.Options.CpuThreads > 0) torch.set_num_threads(job.Options.CpuThreads);
            var tuner = new FineTuner(job.Options, spec.Task, job.Log, job.Progress,
                spec.Task == GauTask.TokenClassification ? n => new EntityDecoder(spec.EntityHead!.Value, spec.EntityTypes!, ((GauAlphaForTokenClassification)n).CrfParameters()) : null);
            return tuner.Train(network, job.Train, job.Validation, job.PadId, ComputeDevice.Resolve(job.Device), job.Cancellation, CreateCopy);
        }

        public byte[] SaveWeights() => SafeTensors.ToBytes(network.state_dict(), ScalarType.Float32, new Dictionary<string, string> { ["format"] = "pt" });

        public IGauInferenceEngine ToEngine(EngineOptions options)
        {
            _handedOver = true;
            return new TorchSharpInferenceEngine(network, CreateCopy, options);
        }

        // A network of the same shape: the bf16 working copy in training, the converted copy in bf16 scoring.
        private TaskNetwork CreateCopy() => TaskNetworks.Create(spec, network.Config);

        public void Dispose()
        {
            if (!_handedOver) network.Dispose();
        }
    }
}
