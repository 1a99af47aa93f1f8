using System.Runtime.CompilerServices;
using GauMLNet.TorchSharp.Runtime;

namespace GauMLNet.Tests.Support;

/// <summary>MKL decides once per process: the test assembly lets GauMLNet decide before any test's first product.</summary>
internal static class MklDecidesFirst
{
#pragma warning disable CA2255 // a test assembly's initializer, on purpose
    [ModuleInitializer]
    internal static void Decide() => MklVendorDispatch.EnsureApplied();
#pragma warning restore CA2255
}
