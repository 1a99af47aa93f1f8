namespace GauMLNet.Engines;

/// <summary>
/// Declares an assembly's engine factory (a type implementing <see cref="IGauEngineFactory"/> with a public
/// parameterless constructor), so a model can find an installed engine without a registration call.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class GauEngineAttribute(Type factoryType) : Attribute
{
    public Type FactoryType { get; } = factoryType;
}
