using GauMLNet.TorchSharp.Runtime;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Modeling;

public class ComputeDeviceTests
{
    [Fact]
    public void ParsesCpuAndAuto()
    {
        Assert.Equal(global::TorchSharp.DeviceType.CPU, ComputeDevice.Resolve("cpu").type);
        Assert.Equal(global::TorchSharp.DeviceType.CPU, ComputeDevice.Resolve(" CPU ").type);
        var auto = ComputeDevice.Resolve("auto");
        Assert.Equal(cuda.is_available() ? global::TorchSharp.DeviceType.CUDA : global::TorchSharp.DeviceType.CPU, auto.type);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:x")]
    [InlineData("cuda:-1")]
    public void RefusesUnknownNames(string name) =>
        Assert.Contains(name, Assert.Throws<ArgumentException>(() => ComputeDevice.Resolve(name)).Message);

    [Fact]
    public void CudaWithoutAGpuSaysHowToGetOne()
    {
        if (cuda.is_available()) return; // this machine has a GPU: the message below cannot occur
        var ex = Assert.Throws<ArgumentException>(() => ComputeDevice.Resolve("cuda:0"));
        Assert.Contains("TorchBackend=cuda-linux", ex.Message);
    }

    [Fact]
    public void AListFallsThroughToTheFirstAvailableChoice()
    {
        if (cuda.is_available()) return; // with a GPU the first choice is taken and the fallback cannot be observed
        Assert.Equal(global::TorchSharp.DeviceType.CPU, ComputeDevice.Resolve("cuda:0,cpu").type);
        var ex = Assert.Throws<ArgumentException>(() => ComputeDevice.Resolve("cuda:1"));
        Assert.Contains("FallbackToCpu", ex.Message);
    }

    [Theory]
    [InlineData("cpu,gpu")]
    [InlineData("cuda:0,")]
    [InlineData("cuda:0;cpu")]
    public void AMalformedChoiceIsRefusedWhereverItStands(string spec) =>
        Assert.Throws<ArgumentException>(() => GauMLNet.Engines.DeviceSpec.Choices(spec));

    [Theory]
    [InlineData(null, false, "cpu")]
    [InlineData(null, true, "cpu")]
    [InlineData(0, false, "cuda:0")]
    [InlineData(2, true, "cuda:2,cpu")]
    public void TheMLContextsRequestReadsAsTheAnchorReadsIt(int? gpu, bool fallback, string expected) =>
        Assert.Equal(expected, GauMLNet.Engines.DeviceSpec.FromMLContext(gpu, fallback));
}
