namespace GauMLNet.Cli;

public static class Program
{
    public static int Main(string[] args) => GauCli.Run(args);
}
