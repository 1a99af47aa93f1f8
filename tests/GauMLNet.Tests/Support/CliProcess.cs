using System.Diagnostics;

namespace GauMLNet.Tests.Support;

/// <summary>Runs the built `gau` CLI as a child process, for what only a real process shows: signals, kill -9, exit codes.</summary>
public static class CliProcess
{
    /// <summary>src/GauMLNet.Cli/bin/{Configuration}/net10.0/gau.dll of this build.</summary>
    public static string GauDll
    {
        get
        {
            string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // …/bin/{Configuration}/net10.0/
            string dll = Path.Combine(TestPaths.RepositoryRoot, "src", "GauMLNet.Cli", "bin", configuration, "net10.0", "gau.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: build the solution first.", dll);
            return dll;
        }
    }

    /// <param name="wrapper">a program and its arguments to run `dotnet gau.dll …` under (strace with fault injection)</param>
    public static Process Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? wrapper = null)
    {
        var start = new ProcessStartInfo(wrapper?[0] ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (wrapper is not null)
        {
            foreach (string arg in wrapper.Skip(1)) start.ArgumentList.Add(arg);
            start.ArgumentList.Add("dotnet");
        }
        start.ArgumentList.Add(GauDll);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return Process.Start(start)!;
    }

    /// <summary>Runs to the end (at most <paramref name="timeout"/>), returning exit code and output.</summary>
    public static (int Code, string Out, string Err) Run(IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<string>? wrapper = null)
    {
        using var process = Start(args, environment, wrapper);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"gau {string.Join(' ', args)} did not finish within {timeout}.");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
