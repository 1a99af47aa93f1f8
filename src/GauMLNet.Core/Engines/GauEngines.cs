using System.Collections.Concurrent;
using System.Reflection;
using GauMLNet.Tasks;

namespace GauMLNet.Engines;

/// <summary>
/// The scoring engines this process can use. GauMLNet registers TorchSharp
/// (<c>mlContext.ComponentCatalog.RegisterGauMLNet()</c>), GauMLNet.Onnx registers ONNX Runtime
/// (<c>RegisterGauOnnx()</c>); a loaded model scores with the engine it was saved for when that is
/// registered, else with another registered engine that can score it. Engines installed beside GauMLNet.Core
/// (the GauMLNet and GauMLNet.Onnx assemblies) are found through their <see cref="GauEngineAttribute"/> when
/// nothing registered them.
/// </summary>
public static class GauEngines
{
    private static readonly ConcurrentDictionary<string, IGauEngineFactory> Factories = new(StringComparer.OrdinalIgnoreCase);

    public static void Register(IGauEngineFactory factory) => Factories[factory.Name] = factory;

    public static IReadOnlyCollection<string> Registered => [.. Factories.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The engine for a package: the preferred one if registered, else any registered engine that can score it.</summary>
    public static IGauEngineFactory For(GauModelPackage package, string? preferred = null)
    {
        string name = preferred ?? package.Spec.Engine;
        if (!Factories.ContainsKey(name)) DiscoverInstalled();
        if (Factories.TryGetValue(name, out var factory) && factory.CanScore(package)) return factory;
        if (preferred is not null) // asked for by name: another engine would not be what the caller asked for
            throw new InvalidOperationException(factory is null
                ? $"The {preferred} engine is not installed (reference GauMLNet for torchsharp, GauMLNet.Onnx for onnxruntime); installed: " +
                  $"{(Factories.IsEmpty ? "none" : string.Join(", ", Registered))}."
                : $"{package.Source}: the {preferred} engine cannot score this model.");
        return Factories.Values.OrderBy(f => f.Name, StringComparer.Ordinal).FirstOrDefault(f => f.CanScore(package))
            ?? throw new InvalidOperationException(
                $"{package.Source}: this model scores with the {name} engine, which is not registered in this process " +
                $"(registered: {(Factories.IsEmpty ? "none" : string.Join(", ", Registered))}). Reference GauMLNet (TorchSharp) and call " +
                "mlContext.ComponentCatalog.RegisterGauMLNet(), or GauMLNet.Onnx and call mlContext.ComponentCatalog.RegisterGauOnnx().");
    }

    // The engine assemblies GauMLNet ships; an app that references one has it beside GauMLNet.Core.
    private static readonly string[] KnownEngineAssemblies = ["GauMLNet", "GauMLNet.Onnx"];

    private static void DiscoverInstalled()
    {
        foreach (string name in KnownEngineAssemblies)
        {
            Assembly assembly;
            try { assembly = Assembly.Load(new AssemblyName(name)); }
            catch (FileNotFoundException) { continue; } // not installed
            foreach (var attribute in assembly.GetCustomAttributes<GauEngineAttribute>())
                if (Activator.CreateInstance(attribute.FactoryType) is IGauEngineFactory factory) Factories.TryAdd(factory.Name, factory);
        }
    }
}
