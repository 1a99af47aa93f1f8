namespace GauMLNet.TorchSharp.Runtime;

/// <summary>
/// The two process-wide settings GauMLNet can make, and who decides them: the application, never the library. Each is off
/// unless the application's project opts in (an MSBuild property that build/GauMLNet.ProcessSettings.targets turns into a
/// runtimeconfig.json switch) or the environment asks; the environment wins either way.
/// <list type="bullet">
/// <item><see cref="MklVendorDispatch"/>: <c>&lt;GauMklVendorDispatch&gt;true&lt;/GauMklVendorDispatch&gt;</c> (switch
/// <see cref="MklVendorDispatchSwitch"/>), or GAUMLNET_MKL_VENDOR_CHECK=lift|keep.</item>
/// <item><see cref="LargeBlockHeap"/> while training on the CPU, and while scoring rows too long to score in 32 MB pieces: <c>&lt;GauLargeBlockHeap&gt;true&lt;/GauLargeBlockHeap&gt;</c>
/// (switch <see cref="LargeBlockHeapSwitch"/>), or GAUMLNET_LARGE_BLOCK_HEAP=on|off.</item>
/// </list>
/// </summary>
public static class ProcessSettings
{
    public const string MklVendorDispatchSwitch = "GauMLNet.MklVendorDispatch";
    public const string LargeBlockHeapSwitch = "GauMLNet.LargeBlockHeap";
    public const string LargeBlockHeapVariable = "GAUMLNET_LARGE_BLOCK_HEAP";

    /// <summary>The application's switch: true or false when its runtimeconfig (or AppContext.SetSwitch) says so, else null.</summary>
    internal static bool? AppSwitch(string name) => AppContext.TryGetSwitch(name, out bool on) ? on : null;

    private static readonly Lazy<(bool On, string Why)> HeapChoice = new(() => DecideLargeBlockHeap(Environment.GetEnvironmentVariable, AppSwitch(LargeBlockHeapSwitch)));

    /// <summary>
    /// Whether GauMLNet keeps large blocks in glibc's heap in this process: while training on the CPU, and for the
    /// TorchSharp engine's calls whose rows are too long to run in 32 MB pieces.
    /// </summary>
    public static bool KeepsLargeBlocks => HeapChoice.Value.On;

    internal static (bool On, string Why) DecideLargeBlockHeap(Func<string, string?> environment, bool? appSwitch)
    {
        string? setting = environment(LargeBlockHeapVariable)?.Trim().ToLowerInvariant();
        return setting switch
        {
            "on" => (true, $"{LargeBlockHeapVariable}=on"),
            "off" => (false, $"{LargeBlockHeapVariable}=off"),
            null or "" => appSwitch == true ? (true, $"the application opted in ({LargeBlockHeapSwitch})")
                : (false, "the application did not opt in (<GauLargeBlockHeap>true</GauLargeBlockHeap> or GAUMLNET_LARGE_BLOCK_HEAP=on)"),
            _ => throw new InvalidOperationException($"{LargeBlockHeapVariable}={setting}: expected on or off."),
        };
    }

    /// <summary>One line saying what this process runs with and why; applies the MKL decision if it has not been made.</summary>
    public static string Describe()
    {
        var mkl = MklVendorDispatch.EnsureApplied();
        var heap = HeapChoice.Value;
        return $"MKL vendor dispatch {mkl.State} ({mkl.Detail}); large blocks kept in the heap (CPU training, long rows' scoring): " +
            $"{(heap.On ? "on" : "off")} ({heap.Why})";
    }
}
