using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// The one place GauMLNet touches ML.NET internals, by reflection: model-file save and load
/// (ModelSaveContext / ModelLoadContext members and VersionInfo), loader registration in the
/// ComponentCatalog (LoadableClassInfo), and the environment behind a catalog. ML.NET keeps these
/// internal; they are the same in every version of <see cref="SupportedRange"/>. <see cref="Verify"/> checks every
/// member this file needs, and a test calls it, so an ML.NET upgrade that moves any of them fails loudly.
/// </summary>
internal static class MLNetInternals
{
    /// <summary>
    /// The ML.NET versions the packages declare (GauMLNetSupportedMLNet in Directory.Packages.props): the tests run on
    /// the highest, and .ci/package-check builds and runs a consumer app on both ends.
    /// </summary>
    public const string SupportedRange = "[5.0.1, 7.0.0)";

    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
    private static readonly Assembly Core = typeof(ModelSaveContext).Assembly;

    private static readonly Type VersionInfoType = RequireType("Microsoft.ML.VersionInfo");
    private static readonly Type ModelLoadContextType = RequireType("Microsoft.ML.ModelLoadContext");
    private static readonly Type SignatureLoadModelType = RequireType("Microsoft.ML.SignatureLoadModel");
    private static readonly Type LoadableClassAttributeType = RequireType("Microsoft.ML.LoadableClassAttribute");
    private static readonly Type LoadableClassInfoType = RequireType("Microsoft.ML.Runtime.ComponentCatalog+LoadableClassInfo");

    /// <summary>The informational version of the loaded Microsoft.ML.Core, e.g. 5.0.1.</summary>
    public static string LoadedVersion =>
        (Core.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? Core.GetName().Version?.ToString() ?? "?").Split('+')[0];

    /// <summary>Throws, naming what moved, unless every internal member this adapter uses is present.</summary>
    public static void Verify()
    {
        _ = VersionInfoType.GetConstructor([typeof(string), typeof(uint), typeof(uint), typeof(uint), typeof(string), typeof(string), typeof(string)])
            ?? throw Moved("VersionInfo(string, uint, uint, uint, string, string, string)");
        _ = Method(typeof(ModelSaveContext), "CheckAtModel", []);
        _ = Method(typeof(ModelSaveContext), "SetVersionInfo", [VersionInfoType]);
        _ = Field(typeof(ModelSaveContext), "Writer");
        _ = Method(ModelLoadContextType, "CheckAtModel", [VersionInfoType]);
        _ = Field(ModelLoadContextType, "Reader");
        _ = Method(typeof(ComponentCatalog), "AddClass", [LoadableClassInfoType, typeof(string[]), typeof(bool)]);
        _ = Field(typeof(ComponentCatalog), "_lock");
        _ = Method(typeof(ComponentCatalog), "GetLoadableClassInfo", [typeof(string), typeof(Type)]);
        _ = LoadableClassInfoCtor();
        _ = LoadableClassAttributeCtor();
        _ = SchemaShapeCreate();
        _ = InternalCatalogEnvironment();
        _ = HostEnvironmentInternal("GpuDeviceId");
        _ = HostEnvironmentInternal("FallbackToCpu");
    }

    /// <summary>
    /// The device an environment asks for through MLContext.GpuDeviceId and MLContext.FallbackToCpu (kept on ML.NET's
    /// internal IHostEnvironmentInternal, which the catalogs' environment implements), as a <see cref="Engines.DeviceSpec"/>.
    /// </summary>
    public static string RequestedDevice(IHostEnvironment env)
    {
        var gpu = HostEnvironmentInternal("GpuDeviceId");
        if (!gpu.DeclaringType!.IsInstanceOfType(env)) return Engines.DeviceSpec.FromMLContext(null, fallbackToCpu: false);
        return Engines.DeviceSpec.FromMLContext((int?)gpu.GetValue(env), (bool)HostEnvironmentInternal("FallbackToCpu").GetValue(env)!);
    }

    private static PropertyInfo HostEnvironmentInternal(string name) =>
        RequireType("Microsoft.ML.Runtime.IHostEnvironmentInternal").GetProperty(name, Instance)
        ?? throw Moved($"Microsoft.ML.Runtime.IHostEnvironmentInternal.{name}");

    /// <summary>The SchemaShape of a schema (SchemaShape.Create is internal; estimators need it for GetOutputSchema).</summary>
    public static SchemaShape ToSchemaShape(DataViewSchema schema) => (SchemaShape)SchemaShapeCreate().Invoke(null, [schema])!;

    private static MethodInfo SchemaShapeCreate() =>
        typeof(SchemaShape).GetMethod("Create", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, [typeof(DataViewSchema)])
        ?? throw Moved("SchemaShape.Create(DataViewSchema)");

    /// <summary>The host environment behind an ML.NET catalog (catalogs implement the internal IInternalCatalog.Environment).</summary>
    public static IHostEnvironment GetEnvironment(object catalog)
    {
        var property = InternalCatalogEnvironment();
        if (!property.DeclaringType!.IsInstanceOfType(catalog)) throw Moved($"IInternalCatalog on {catalog.GetType().FullName}");
        return (IHostEnvironment)property.GetValue(catalog)!;
    }

    private static PropertyInfo InternalCatalogEnvironment() =>
        typeof(MLContext).Assembly.GetType("Microsoft.ML.Data.IInternalCatalog", throwOnError: false)?.GetProperty("Environment", Instance)
        ?? throw Moved("Microsoft.ML.Data.IInternalCatalog.Environment");

    /// <summary>Starts a model entry: checks the context, writes the version header, returns the entry's writer.</summary>
    public static BinaryWriter BeginSave(ModelSaveContext ctx, GauModelVersion version)
    {
        Method(typeof(ModelSaveContext), "CheckAtModel", []).Invoke(ctx, null);
        Method(typeof(ModelSaveContext), "SetVersionInfo", [VersionInfoType]).Invoke(ctx, [NewVersionInfo(version)]);
        return (BinaryWriter)Field(typeof(ModelSaveContext), "Writer").GetValue(ctx)!;
    }

    /// <summary>Checks a model entry's version header against ours and returns its reader.</summary>
    public static BinaryReader BeginLoad(object modelLoadContext, GauModelVersion version)
    {
        if (!ModelLoadContextType.IsInstanceOfType(modelLoadContext))
            throw new ArgumentException($"Expected an ML.NET ModelLoadContext, got {modelLoadContext.GetType()}.", nameof(modelLoadContext));
        try
        {
            Method(ModelLoadContextType, "CheckAtModel", [VersionInfoType]).Invoke(modelLoadContext, [NewVersionInfo(version)]);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw new InvalidDataException($"The model entry is not a readable {version.LoaderSignature}: {ex.InnerException.Message}", ex.InnerException);
        }
        return (BinaryReader)Field(ModelLoadContextType, "Reader").GetValue(modelLoadContext)!;
    }

    /// <summary>
    /// Registers a loader so that mlContext.Model.Load can recreate a transformer from its signature. Idempotent per
    /// catalog. Reaches ComponentCatalog's private _lock and AddClass: ML.NET has no public way to register a
    /// loader from outside its own assemblies (checked by <see cref="Verify"/>).
    /// </summary>
    public static void RegisterLoader<T>(ComponentCatalog catalog, GauModelVersion version, Func<IHostEnvironment, object, T> create)
    {
        // ML.NET calls a static method through reflection; the delegate's target method is that method.
        if (!create.Method.IsStatic) throw new ArgumentException("The loader must be a static method.", nameof(create));
        object gate = Field(typeof(ComponentCatalog), "_lock").GetValue(catalog)!;
        lock (gate)
        {
            var existing = Method(typeof(ComponentCatalog), "GetLoadableClassInfo", [typeof(string), typeof(Type)])
                .Invoke(catalog, [version.LoaderSignature, SignatureLoadModelType]);
            if (existing is not null) return;
            // LoadableClassAttribute(Type instanceType, Type argumentType, Type signatureType, string userName, params string[] loadNames)
            var attribute = LoadableClassAttributeCtor().Invoke([typeof(T), null, SignatureLoadModelType, typeof(T).Name, new[] { version.LoaderSignature }]);
            // LoadableClassInfo(attribute, instanceGetter, constructor, createMethod, requireEnvironment)
            var info = LoadableClassInfoCtor().Invoke([attribute, null, null, create.Method, true]);
            Method(typeof(ComponentCatalog), "AddClass", [LoadableClassInfoType, typeof(string[]), typeof(bool)])
                .Invoke(catalog, [info, new[] { version.LoaderSignature }, false]);
        }
    }

    private static object NewVersionInfo(GauModelVersion v) =>
        Activator.CreateInstance(VersionInfoType, v.ModelSignature, v.Version, v.Version, v.Version,
            typeof(MLNetInternals).Assembly.FullName, v.LoaderSignature, null)!;

    private static ConstructorInfo LoadableClassAttributeCtor() =>
        LoadableClassAttributeType.GetConstructor(Instance, [typeof(Type), typeof(Type), typeof(Type), typeof(string), typeof(string[])])
        ?? throw Moved("LoadableClassAttribute(Type, Type, Type, string, string[])");

    private static ConstructorInfo LoadableClassInfoCtor() =>
        LoadableClassInfoType.GetConstructor(Instance, [RequireType("Microsoft.ML.LoadableClassAttributeBase"), typeof(MethodInfo), typeof(ConstructorInfo), typeof(MethodInfo), typeof(bool)])
        ?? throw Moved("ComponentCatalog.LoadableClassInfo(LoadableClassAttributeBase, MethodInfo, ConstructorInfo, MethodInfo, bool)");

    private static MethodInfo Method(Type type, string name, Type[] parameters) =>
        type.GetMethod(name, Instance, parameters) ?? throw Moved($"{type.Name}.{name}({string.Join(", ", parameters.Select(p => p.Name))})");

    private static FieldInfo Field(Type type, string name) =>
        type.GetField(name, Instance) ?? throw Moved($"{type.Name}.{name}");

    private static Type RequireType(string name) => Core.GetType(name, throwOnError: false) ?? throw Moved(name);

    private static NotSupportedException Moved(string member) => new(
        $"GauMLNet's ML.NET persistence adapter needs the internal member {member}, which this ML.NET " +
        $"({LoadedVersion}) does not have. GauMLNet supports ML.NET {SupportedRange}; use one of those, or save with " +
        "the ML.NET-free checkpoint directory (SaveCheckpoint / LoadCheckpoint).");
}

/// <summary>The version header of one of our model entries. ML.NET stores the loader signature in 24 bytes: keep it short.</summary>
/// <param name="ModelSignature">at most 8 ASCII characters</param>
internal sealed record GauModelVersion(string ModelSignature, uint Version, string LoaderSignature);
