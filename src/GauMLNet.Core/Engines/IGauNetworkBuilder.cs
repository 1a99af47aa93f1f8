using GauMLNet.Tasks;

namespace GauMLNet.Engines;

/// <summary>
/// Builds GAU task networks for the ML.NET estimators — initialised, the pretrained backbone loaded — that then fine-tune
/// in place, save their weights and become an inference engine without a copy; GauMLNet's TorchSharp backend implements it.
/// The estimators hand it plain data (a <see cref="GauModelSource"/>, tokenized rows, options) and get back an
/// <see cref="IGauTrainableNetwork"/>; they never see an engine's types.
/// </summary>
public interface IGauNetworkBuilder
{
    /// <summary>
    /// The network <paramref name="spec"/> describes: built, initialised from <paramref name="seed"/>, and given the
    /// source's pretrained encoder when it has one. Not trained yet.
    /// </summary>
    IGauTrainableNetwork Build(GauModelSource source, GauTaskSpec spec, int seed);
}

/// <summary>A task network being trained. Dispose releases it unless <see cref="ToEngine"/> took it over.</summary>
public interface IGauTrainableNetwork : IDisposable
{
    /// <summary>Fine-tunes in place; on divergence throws <see cref="Training.GauTrainingDivergedException"/> and keeps the last good weights.</summary>
    Training.FineTuningResult FineTune(Training.FineTuningJob job);

    /// <summary>The weights as fp32 safetensors bytes, with the port's tensor names.</summary>
    byte[] SaveWeights();

    /// <summary>Hands the network to an inference engine without a copy or reload; this object is not used afterwards.</summary>
    IGauInferenceEngine ToEngine(EngineOptions options);
}
