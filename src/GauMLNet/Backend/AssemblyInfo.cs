using GauMLNet.Engines;
using GauMLNet.TorchSharp.Backend;

// Lets a model saved for TorchSharp find this engine when GauMLNet is installed, without a registration call.
[assembly: GauEngine(typeof(TorchSharpEngineFactory))]
