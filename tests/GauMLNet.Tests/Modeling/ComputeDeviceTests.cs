using GauMLNet.Runtime;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Modeling;

public class ComputeDeviceTests
{
    [Fact]
    public void ParsesCpuAndAuto()
    {
        Assert.Equal(TorchSharp.DeviceType.CPU, ComputeDevice.Resolve("cpu").type);
        Assert.Equal(TorchSharp.DeviceType.CPU, ComputeDevice.Resolve(" CPU ").type);
        var auto = ComputeDevice.Resolve("auto");
        Assert.Equal(cuda.is_available() ? TorchSharp.DeviceType.CUDA : TorchSharp.DeviceType.CPU, auto.type);
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
}
