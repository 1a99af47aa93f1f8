namespace GauMLNet.Cli; static class Program { static int Main() => 0; }
