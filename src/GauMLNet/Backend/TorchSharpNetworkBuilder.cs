using GauMLNet.Engines;
using GauMLNet.Entities;
using GauMLNet.Tasks;
using GauMLNet.TorchSharp.Checkpoints;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Runtime;
using GauMLNet.TorchSharp.Training;
using GauMLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Backend;

/// <summary>Builds and fine-tunes task networks with TorchSharp for the ML.NET estimators.</summary>
public sealed class TorchSharpNetworkBuilder : IGauNetworkBuilder
{
    public static TorchSharpNetworkBuilder Instance { get; } = new();

    public IGauTrainableNetwork Build(GauModelSource source, GauTaskSpec spec, int seed)
    {
        var network = TaskNetworkFactory.CreateInitialized(spec, source.Config, seed);
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
            var device = ComputeDevice.Resolve(job.Device);
            var tuner = new FineTuner(job.Options, spec.Task, trained => TorchSharpInferenceEngine.Borrowing(trained, device), job.Log, job.Progress,
                spec.Task == GauTask.TokenClassification ? n => new EntityDecoder(spec.EntityHead!.Value, spec.EntityTypes!, ((GauAlphaForTokenClassification)n).CrfParameters()) : null,
                validationMetric: job.ValidationMetric);
            return tuner.Train(network, job.Train, job.Validation, job.PadId, device, job.Cancellation);
        }

        public byte[] SaveWeights() => SafeTensors.ToBytes(network.state_dict(), ScalarType.Float32, new Dictionary<string, string> { ["format"] = "pt" });

        public IGauInferenceEngine ToEngine(EngineOptions options)
        {
            _handedOver = true;
            return new TorchSharpInferenceEngine(network, options);
        }

        public void Dispose()
        {
            if (!_handedOver) network.Dispose();
        }
    }
}
