using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using GauMLNet.Tasks;

namespace GauMLNet.Engines;

/// <summary>
/// The scoring engines this process can use. GauMLNet registers TorchSharp
/// (<c>mlContext.ComponentCatalog.RegisterGauMLNet()</c>), GauMLNet.Onnx registers ONNX Runtime
/// (<c>RegisterGauOnnx()</c>); a loaded model scores with the engine it was saved for when that is
/// registered, else with another registered engine that can score it. When nothing registered it, an engine is found
/// through its assembly's <see cref="GauEngineAttribute"/>: among the loaded assemblies, then the application's own.
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

    private static int DiscoveryDone;

    // Engine assemblies announce themselves with [assembly: GauEngine(…)]: those already loaded, then those beside the
    // application, read as metadata so that only an assembly carrying the attribute is loaded.
    private static void DiscoverInstalled()
    {
        if (Interlocked.Exchange(ref DiscoveryDone, 1) == 1) return;
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies()) AddDeclaredFactories(assembly);
        foreach (string path in EngineAssembliesBeside(AppContext.BaseDirectory))
        {
            Assembly assembly;
            try
            {
                // By name first, so an assembly the application references binds as it always would.
                try { assembly = Assembly.Load(AssemblyName.GetAssemblyName(path)); }
                catch (FileNotFoundException) { assembly = Assembly.LoadFrom(path); }
            }
            catch (Exception ex) when (ex is IOException or BadImageFormatException) { continue; } // unreadable: not an engine we can use
            AddDeclaredFactories(assembly);
        }
    }

    private static void AddDeclaredFactories(Assembly assembly)
    {
        if (assembly.IsDynamic) return;
        foreach (var attribute in assembly.GetCustomAttributes<GauEngineAttribute>())
            if (Activator.CreateInstance(attribute.FactoryType) is IGauEngineFactory factory) Factories.TryAdd(factory.Name, factory);
    }

    /// <summary>The .dll files in <paramref name="directory"/> whose assembly carries a <see cref="GauEngineAttribute"/>.</summary>
    internal static IEnumerable<string> EngineAssembliesBeside(string directory)
    {
        if (!Directory.Exists(directory)) yield break;
        foreach (string path in Directory.EnumerateFiles(directory, "*.dll"))
            if (DeclaresEngine(path)) yield return path;
    }

    private static bool DeclaresEngine(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata) return false;
            var metadata = pe.GetMetadataReader();
            if (!metadata.IsAssembly) return false;
            foreach (var handle in metadata.GetAssemblyDefinition().GetCustomAttributes())
            {
                var constructor = metadata.GetCustomAttribute(handle).Constructor;
                if (constructor.Kind != HandleKind.MemberReference) continue; // an attribute of the assembly's own
                var parent = metadata.GetMemberReference((MemberReferenceHandle)constructor).Parent;
                if (parent.Kind != HandleKind.TypeReference) continue;
                var type = metadata.GetTypeReference((TypeReferenceHandle)parent);
                if (metadata.StringComparer.Equals(type.Name, nameof(GauEngineAttribute)) &&
                    metadata.StringComparer.Equals(type.Namespace, typeof(GauEngineAttribute).Namespace!)) return true;
            }
            return false;
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or UnauthorizedAccessException) { return false; }
    }
}
