using System.Text.RegularExpressions;
using GauMLNet.Tests.Support;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Architecture;

/// <summary>
/// docs/architecture.md's namespace table, enforced: each namespace uses only what its row allows, nothing its row
/// forbids, lives in the assembly its row names, and the allowed uses form no cycle.
/// </summary>
public sealed partial class FolderRuleTests(ITestOutputHelper output)
{
    private static readonly string[] Assemblies = ["GauMLNet.Core", "GauMLNet", "GauMLNet.Onnx", "GauMLNet.Serving", "gau"];

    private sealed record Rule(string Namespace, string Assembly, IReadOnlySet<string> MayUse, IReadOnlyList<string> MustNotUse, int Order);

    private static readonly Lazy<IReadOnlyList<Rule>> Rules = new(ReadRules);

    /// <summary>(assembly, namespace) → the namespaces it uses, read from the built assemblies.</summary>
    private static readonly Lazy<IReadOnlyList<(string Assembly, string Namespace, SortedSet<string> Uses)>> Graph = new(() =>
        [.. Assemblies.SelectMany(a => NamespaceDependencies.Read(Path.Combine(AppContext.BaseDirectory, a + ".dll"))
            .Where(p => p.Key.StartsWith("GauMLNet", StringComparison.Ordinal))
            .Select(p => (a, p.Key, p.Value)))]);

    private static IReadOnlyList<Rule> ReadRules()
    {
        string doc = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "architecture.md"));
        var rules = new List<Rule>();
        foreach (string line in doc.Split('\n'))
        {
            var cells = line.Split('|').Select(c => c.Trim()).ToArray();
            // | `namespace` | assembly | holds | may use | must not use |
            if (cells.Length != 7 || !NamespaceCell().IsMatch(cells[1])) continue;
            string ns = cells[1].Trim('`');
            var mayUse = Backticked(cells[4]).Where(n => n.StartsWith("GauMLNet", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
            if (cells[4].Contains("every library namespace above", StringComparison.Ordinal))
                mayUse.UnionWith(rules.Where(r => !r.Namespace.StartsWith("GauMLNet.Cli", StringComparison.Ordinal)).Select(r => r.Namespace));
            rules.Add(new Rule(ns, cells[2], mayUse, [.. Backticked(cells[5])], rules.Count));
        }
        return rules;
    }

    private static IEnumerable<string> Backticked(string cell) => BacktickedName().Matches(cell).Select(m => m.Groups[1].Value);

    [GeneratedRegex(@"^`GauMLNet[\w.]*`$")]
    private static partial Regex NamespaceCell();

    [GeneratedRegex(@"`([\w.]+)`")]
    private static partial Regex BacktickedName();

    [Fact]
    public void TheTableHasARowForEveryNamespaceAndEachLivesInItsRowsAssembly()
    {
        var rules = Rules.Value.ToDictionary(r => r.Namespace);
        Assert.True(rules.Count >= 25, $"only {rules.Count} rows read from docs/architecture.md");
        var problems = new List<string>();
        foreach (var (assembly, ns, _) in Graph.Value)
        {
            if (!rules.TryGetValue(ns, out var rule)) problems.Add($"{ns} (in {assembly}) has no row in docs/architecture.md");
            else if (rule.Assembly != assembly) problems.Add($"{ns} is in {assembly}; its row says {rule.Assembly}");
        }
        foreach (var group in Graph.Value.GroupBy(g => g.Namespace).Where(g => g.Count() > 1))
            problems.Add($"{group.Key} spans {string.Join(" and ", group.Select(g => g.Assembly))}");
        foreach (var rule in Rules.Value.Where(r => !Graph.Value.Any(g => g.Namespace == r.Namespace)))
            problems.Add($"the row {rule.Namespace} names no namespace that exists");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void EveryNamespaceUsesOnlyWhatItsRowAllows()
    {
        var rules = Rules.Value.ToDictionary(r => r.Namespace);
        var problems = new List<string>();
        foreach (var (assembly, ns, uses) in Graph.Value.OrderBy(g => rules.TryGetValue(g.Namespace, out var r) ? r.Order : int.MaxValue))
        {
            if (!rules.TryGetValue(ns, out var rule)) continue; // the test above names it
            var own = uses.Where(u => u.StartsWith("GauMLNet", StringComparison.Ordinal)).ToList();
            output.WriteLine($"{ns} → {(own.Count == 0 ? "—" : string.Join(", ", own))}");
            foreach (string used in own.Where(u => !rule.MayUse.Contains(u)))
                problems.Add($"{ns} uses {used}, which its row does not allow ({Explain(assembly, ns, used)})");
            foreach (string forbidden in rule.MustNotUse)
                foreach (string used in uses.Where(u => u == forbidden || u.StartsWith(forbidden + ".", StringComparison.Ordinal)))
                    problems.Add($"{ns} uses {used}, which its row forbids ({Explain(assembly, ns, used)})");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void TheAllowedUsesPointDown()
    {
        var rules = Rules.Value.ToDictionary(r => r.Namespace);
        var problems = new List<string>();
        foreach (var rule in Rules.Value)
            foreach (string used in rule.MayUse)
            {
                if (used == rule.Namespace) problems.Add($"{rule.Namespace} lists itself");
                else if (!rules.TryGetValue(used, out var usedRule)) problems.Add($"{rule.Namespace} may use {used}, which has no row");
                else if (usedRule.Order > rule.Order) problems.Add($"{rule.Namespace} may use {used}, which comes after it: the rows are not in layer order or form a cycle");
            }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void TheRuleReaderSeesAForbiddenUse()
    {
        // The test's own check: Modeling's row forbids GauMLNet.Tasks, and a namespace known to use Tasks is seen doing so.
        var modeling = Rules.Value.Single(r => r.Namespace == "GauMLNet.TorchSharp.Modeling");
        Assert.Contains("GauMLNet.Tasks", modeling.MustNotUse);
        var backend = Graph.Value.Single(g => g.Namespace == "GauMLNet.TorchSharp.Backend");
        Assert.Contains("GauMLNet.Tasks", backend.Uses);
        Assert.Contains("GauMLNet.Tasks", NamespaceDependencies.Edges(Path.Combine(AppContext.BaseDirectory, "GauMLNet.dll"),
            "GauMLNet.TorchSharp.Backend", "GauMLNet.Tasks").Select(e => e.To[..e.To.LastIndexOf('.')]));
    }

    private static string Explain(string assembly, string from, string to) =>
        string.Join("; ", NamespaceDependencies.Edges(Path.Combine(AppContext.BaseDirectory, assembly + ".dll"), from, to)
            .Select(e => $"{e.From} uses {e.To}").Distinct().Take(3));
}
