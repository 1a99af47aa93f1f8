using System.Reflection.PortableExecutable;
using GauMLNet.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GauMLNet.Tests.Docs;

/// <summary>
/// Every ```csharp block of the README (and of the package README packed into every package) compiles as written, as a
/// new console app's Program.cs would (implicit usings, nullable on), against the assemblies this test runs with:
/// GauMLNet, GauMLNet.Onnx, GauMLNet.Serving, ML.NET and the framework. So a renamed option or an undefined variable in
/// a snippet fails here, naming the file and line, instead of failing a newcomer.
/// </summary>
public class ReadmeSnippetTests
{
    public static TheoryData<string> Documents => new() { "README.md", "docs/package/README.md" };

    [Theory]
    [MemberData(nameof(Documents))]
    public void EveryCSharpSnippetCompiles(string document)
    {
        string path = Path.Combine(TestPaths.RepositoryRoot, document);
        var snippets = CodeSnippet.Extract(path, "csharp");
        Assert.NotEmpty(snippets);

        var failures = snippets
            .Select(snippet => (snippet, errors: SnippetCompiler.Errors(snippet)))
            .Where(result => result.errors.Count > 0)
            .Select(result => $"{document}:{result.snippet.FirstLine}: the snippet does not compile:{Environment.NewLine}  "
                + string.Join(Environment.NewLine + "  ", result.errors))
            .ToList();
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void TheCompilerCatchesAnUndefinedVariable()
    {
        var broken = new CodeSnippet("README.md", 10, "using Microsoft.ML;\nvar ml = new MLContext();\nvar view = ml.Data.Cache(keyedDev);\n");
        var errors = SnippetCompiler.Errors(broken);
        Assert.Contains(errors, e => e.Contains("keyedDev") && e.StartsWith("README.md:12:", StringComparison.Ordinal));
    }

    [Fact]
    public void TheReadmeIsShortAndItsTestCommandIsWhatCiRuns()
    {
        string root = TestPaths.RepositoryRoot;
        string[] readme = File.ReadAllLines(Path.Combine(root, "README.md"));
        Assert.True(readme.Length <= 250, $"README.md has {readme.Length} lines; a newcomer's README stays within 250 (depth goes to docs/)");
        const string testCommand = "dotnet test GauMLNet.sln -c Release";
        Assert.Contains(readme, line => line.Trim() == testCommand);
        Assert.Contains(File.ReadAllLines(Path.Combine(root, ".ci", "run")), line => line.Trim() == testCommand);
    }
}

/// <summary>One fenced code block: its text and the document line of its first code line.</summary>
public sealed record CodeSnippet(string Document, int FirstLine, string Code)
{
    public static IReadOnlyList<CodeSnippet> Extract(string path, string language)
    {
        string[] lines = File.ReadAllLines(path);
        string document = Path.GetFileName(path);
        var snippets = new List<CodeSnippet>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```" + language) continue;
            int first = i + 1;
            int end = first;
            while (end < lines.Length && lines[end].Trim() != "```") end++;
            if (end == lines.Length) throw new InvalidDataException($"{path}:{i + 1}: the ```{language} block is never closed");
            snippets.Add(new CodeSnippet(document, first + 1, string.Join('\n', lines[first..end])));
            i = end;
        }
        return snippets;
    }
}

/// <summary>Compiles a snippet in memory with Roslyn; returns its errors as "document:line: CSxxxx message".</summary>
public static class SnippetCompiler
{
    // What `dotnet new console` turns on: the SDK's implicit global usings.
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static readonly Lazy<IReadOnlyList<MetadataReference>> References = new(LoadReferences);

    public static IReadOnlyList<string> Errors(CodeSnippet snippet)
    {
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var tree = CSharpSyntaxTree.ParseText(snippet.Code, options, path: snippet.Document);
        var usings = CSharpSyntaxTree.ParseText(ImplicitUsings, options, path: "ImplicitUsings.g.cs");
        bool topLevel = tree.GetCompilationUnitRoot().Members.Any(m => m is Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax);
        var compilation = CSharpCompilation.Create(
            "ReadmeSnippet",
            [usings, tree],
            References.Value,
            new CSharpCompilationOptions(topLevel ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable));
        return compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d =>
            {
                var span = d.Location.GetLineSpan();
                int line = span.Path == snippet.Document ? snippet.FirstLine + span.StartLinePosition.Line : 0;
                return $"{snippet.Document}:{line}: {d.Id} {d.GetMessage()}";
            })
            .ToList();
    }

    // The framework (the test host's trusted platform assemblies) plus GauMLNet's and ML.NET's assemblies beside the tests.
    private static IReadOnlyList<MetadataReference> LoadReferences()
    {
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string trusted = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        var local = Directory.GetFiles(AppContext.BaseDirectory, "*.dll").Where(p =>
        {
            string name = Path.GetFileName(p);
            return name.StartsWith("GauMLNet", StringComparison.Ordinal) || name.StartsWith("Microsoft.ML", StringComparison.Ordinal)
                || name.StartsWith("Microsoft.Extensions", StringComparison.Ordinal);
        });
        foreach (string path in trusted.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Concat(local))
            if (path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && IsManaged(path))
                paths.TryAdd(Path.GetFileName(path), path);
        Assert.Contains("GauMLNet.dll", paths.Keys);
        return [.. paths.Values.Select(p => MetadataReference.CreateFromFile(p))];
    }

    private static bool IsManaged(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var reader = new PEReader(stream);
            return reader.HasMetadata;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
