using Mono.Cecil;
using Mono.Cecil.Cil;

namespace GauMLNet.Tests.Architecture;

/// <summary>
/// Which namespaces each namespace of an assembly uses, read from its metadata and IL: base types, interfaces,
/// fields, signatures, attributes and every type, method and field an instruction names.
/// </summary>
public static class NamespaceDependencies
{
    /// <summary>namespace → the namespaces its types use (itself excluded), for every namespace of the assembly.</summary>
    public static IReadOnlyDictionary<string, SortedSet<string>> Read(string assemblyPath)
    {
        var graph = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        foreach (var type in module.GetTypes())
        {
            string from = NamespaceOf(type);
            if (from.Length == 0) continue; // <Module>, compiler-generated globals
            if (!graph.TryGetValue(from, out var uses)) graph[from] = uses = new SortedSet<string>(StringComparer.Ordinal);
            foreach (string used in UsedBy(type))
                if (used.Length > 0 && used != from) uses.Add(used);
        }
        return graph;
    }

    /// <summary>(type, used type) pairs from one namespace to another, to name what a broken rule stands on.</summary>
    public static IEnumerable<(string From, string To)> Edges(string assemblyPath, string fromNamespace, string toNamespace)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        foreach (var type in module.GetTypes().Where(t => NamespaceOf(t) == fromNamespace))
            foreach (var used in UsedTypes(type).Where(t => NamespaceOf(t) == toNamespace).Select(t => t.FullName).Distinct())
                yield return (type.FullName, used);
    }

    private static IEnumerable<string> UsedBy(TypeDefinition type) => UsedTypes(type).Select(NamespaceOf).Distinct();

    private static List<TypeReference> UsedTypes(TypeDefinition type)
    {
        var seen = new List<TypeReference>();
        void Add(TypeReference? t)
        {
            switch (t)
            {
                case null: return;
                case GenericParameter: return;
                case GenericInstanceType g:
                    Add(g.ElementType);
                    foreach (var a in g.GenericArguments) Add(a);
                    return;
                case TypeSpecification s:
                    Add(s.ElementType);
                    return;
                default:
                    seen.Add(t);
                    return;
            }
        }
        void AddMethod(MethodReference m)
        {
            Add(m.DeclaringType);
            Add(m.ReturnType);
            foreach (var p in m.Parameters) Add(p.ParameterType);
            if (m is GenericInstanceMethod gm) foreach (var a in gm.GenericArguments) Add(a);
        }
        void AddAttributes(ICustomAttributeProvider p)
        {
            foreach (var a in p.CustomAttributes) Add(a.AttributeType);
        }

        Add(type.BaseType);
        foreach (var i in type.Interfaces) Add(i.InterfaceType);
        AddAttributes(type);
        foreach (var f in type.Fields) { Add(f.FieldType); AddAttributes(f); }
        foreach (var p in type.Properties) { Add(p.PropertyType); AddAttributes(p); }
        foreach (var m in type.Methods)
        {
            AddMethod(m);
            AddAttributes(m);
            if (!m.HasBody) continue;
            foreach (var v in m.Body.Variables) Add(v.VariableType);
            foreach (var instruction in m.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t: Add(t); break;
                    case MethodReference mr: AddMethod(mr); break;
                    case FieldReference fr: Add(fr.DeclaringType); Add(fr.FieldType); break;
                }
            }
            foreach (var handler in m.Body.ExceptionHandlers)
                if (handler.HandlerType == ExceptionHandlerType.Catch) Add(handler.CatchType);
        }
        return seen;
    }

    private static string NamespaceOf(TypeReference type)
    {
        while (type.DeclaringType is not null) type = type.DeclaringType;
        return type.Namespace;
    }
}
