using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using GauMLNet.TorchSharp.Modeling;
using TorchSharp;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Architecture;

/// <summary>
/// GauMLNet's tensor code passes libtorch only numbers it holds (<see cref="HeldScalars"/> says why a temporary
/// TorchSharp Scalar can be freed mid-call). Read from compiled IL: in GauMLNet's assemblies every Scalar a call
/// returns (a conversion of a number, a helper's result) must be held — stored in a field, returned to a holder, or
/// kept in a local that a using disposes (a local the JIT sees as dead can be collected during a later call) — never
/// passed straight into a call; and no call may reach a TorchSharp method that makes such a temporary itself. Those methods
/// are found in global::TorchSharp.dll's own IL (a conversion passed straight on, then everything that calls or takes a
/// delegate to one), so a TorchSharp upgrade re-derives the list; a TorchSharp class with such a method (an
/// optimizer, say) may not be constructed or obtained at all, since its methods are reached through virtual calls.
/// </summary>
public sealed class TemporaryScalarTests(ITestOutputHelper output)
{
    private static readonly Lazy<TorchSharpMakers> Makers = new(() => TorchSharpMakers.Read(typeof(global::TorchSharp.Scalar).Assembly.Location));

    [Fact]
    public void GauMLNetPassesNoTemporaryScalarToLibtorch()
    {
        var makers = Makers.Value;
        output.WriteLine($"TorchSharp: {makers.Methods.Count} methods make a temporary Scalar, in {makers.Types.Count} classes besides Tensor");
        output.WriteLine("of generic classes: " + string.Join(", ", makers.Methods.Where(m => m.Split("::")[0].Contains('`'))));
        Assert.Contains("Tensor::op_Addition(Tensor,Tensor)", makers.Methods); // alpha = 1
        Assert.Contains("Tensor::add(Tensor)", makers.Methods);
        Assert.Contains("AdamW", makers.Types); // its step's constants
        Assert.DoesNotContain("Tensor::add(Tensor,Scalar)", makers.Methods);
        Assert.DoesNotContain("Tensor::op_Subtraction(Tensor,Tensor)", makers.Methods);

        var findings = new List<string>();
        int conversions = 0, operatorCalls = 0;
        foreach (var assembly in new[] { typeof(HeldScalars).Assembly, typeof(GauMLNet.Cli.Program).Assembly }) // the ONNX side has no TorchSharp
        {
            findings.AddRange(Scan(assembly.Location, makers, out int c, out int o));
            conversions += c;
            operatorCalls += o;
        }
        output.WriteLine($"{conversions} number-to-Scalar conversions and {operatorCalls} Tensor operator calls checked");
        Assert.True(conversions > 10, "the scan found almost no conversions: it is not reading the IL it should");
        Assert.True(operatorCalls > 20, "the scan found almost no Tensor operators: it is not reading the IL it should");
        Assert.True(findings.Count == 0, "temporary Scalars passed to libtorch:\n" + string.Join('\n', findings));
    }

    [Fact]
    public void TheScanFindsATemporaryScalar()
    {
        // This test assembly is not held to the rule; the methods below break it on purpose, so the scan must see them.
        var findings = Scan(typeof(TemporaryScalarTests).Assembly.Location, Makers.Value, out _, out _)
            .Where(f => f.StartsWith(nameof(TemporaryScalarTests), StringComparison.Ordinal)).ToList();
        foreach (string finding in findings) output.WriteLine(finding);
        string[] expected = ["op_Multiply", "op_Implicit", "Tensor::op_Addition(Tensor,Tensor)", "Tensor::add_(Tensor)", "AdamW", "not disposed", "MakeScalar"];
        foreach (string what in expected)
            Assert.Contains(findings, f => f.Contains(nameof(BreaksTheRule), StringComparison.Ordinal) && f.Contains(what, StringComparison.Ordinal));
        Assert.DoesNotContain(findings, f => f.Contains(nameof(KeepsTheRule), StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Contains(nameof(CallsAGenericTorchSharpMaker), StringComparison.Ordinal) && f.Contains("ScriptModule`1::call", StringComparison.Ordinal));
    }

    private static global::TorchSharp.torch.Tensor BreaksTheRule(global::TorchSharp.torch.Tensor x, global::TorchSharp.torch.Tensor y)
    {
        using var optimizer = global::TorchSharp.torch.optim.AdamW([new global::TorchSharp.Modules.Parameter(y)]);
        global::TorchSharp.Scalar two = 2.0; // a local without a using: dead to the JIT after its last use
        var doubled = x.mul(two);
        return ((doubled * 0.5).clamp_min(1.0) + y).add_(y).mul(MakeScalar());
    }

    private static global::TorchSharp.Scalar MakeScalar() => 3.0.ToScalar();

    private static global::TorchSharp.Scalar Held = 1.0;

    private static global::TorchSharp.torch.Tensor KeepsTheRule(global::TorchSharp.torch.Tensor x)
    {
        using global::TorchSharp.Scalar two = 2.0;
        Held = MakeScalar();
        return x.mul(two).add(x, Held);
    }

    // A generic TorchSharp class's maker: the call's parent is a generic instantiation, not a plain type reference.
    private static global::TorchSharp.torch.Tensor CallsAGenericTorchSharpMaker(global::TorchSharp.torch.jit.ScriptModule<global::TorchSharp.torch.Tensor> module, global::TorchSharp.torch.Tensor x) =>
        module.call(x);

    /// <summary>The GauMLNet assembly's findings: temporaries it makes, TorchSharp makers it calls, maker classes it obtains.</summary>
    private static List<string> Scan(string assemblyPath, TorchSharpMakers makers, out int conversions, out int operatorCalls)
    {
        var findings = new List<string>();
        int converted = 0, operators = 0;
        IlWalker.Walk(assemblyPath, (where, body) =>
        {
            MemberKey? pendingConversion = null;
            var heldInLocals = new Dictionary<int, MemberKey>(); // Scalars stored in locals: each must be disposed or moved to a field
            var released = new HashSet<int>();
            var instructions = body.ToList();
            for (int at = 0; at < instructions.Count; at++)
            {
                var (code, callee, local) = instructions[at];
                if (pendingConversion is { } conversion)
                {
                    if (IlWalker.IsLocalStore(code)) heldInLocals.TryAdd(local!.Value, conversion);
                    else if (!IlWalker.IsStore(code)) findings.Add($"{where}: a {conversion.Parent}.{conversion.Name} result goes straight into a call");
                }
                pendingConversion = null;
                // ldloc i then Dispose (a using's finally), or ldloc i then stfld/stsfld (moved to a field).
                if (IlWalker.IsLocalLoad(code) && at + 1 < instructions.Count
                    && (instructions[at + 1].Callee is { Name: "Dispose" } || instructions[at + 1].Code is 0x7D or 0x80))
                    released.Add(local!.Value);
                if (callee is not { } c) continue;
                // A getter hands out a Scalar its object holds; any other call returning one made it.
                if (c.Returns == "Scalar" && !c.Name.StartsWith("get_", StringComparison.Ordinal))
                {
                    if (c.FromTorchSharp) converted++;
                    pendingConversion = c;
                    continue;
                }
                if (!c.FromTorchSharp) continue;
                if (c.Parent == "Tensor" && NumberOperators.Contains(c.Name))
                {
                    operators++;
                    if (c.Parameters.Any(t => t is "Int32" or "Int64" or "Single" or "Double")) findings.Add($"{where}: Tensor.{c.Name} with a .NET number");
                }
                if (makers.Methods.Contains(c.Key)) findings.Add($"{where}: calls TorchSharp's {c.Key}, which makes a temporary Scalar");
                foreach (string type in new[] { c.Name == ".ctor" ? c.Parent : null, c.Returns }.OfType<string>().Where(makers.Types.Contains))
                    findings.Add($"{where}: obtains TorchSharp's {type}, whose methods make temporary Scalars ({c.Key})");
            }
            foreach (var (index, conversion) in heldInLocals.Where(kv => !released.Contains(kv.Key)))
                findings.Add($"{where}: the {conversion.Parent}.{conversion.Name} result in local {index} is not disposed by a using (nor moved to a field)");
        });
        (conversions, operatorCalls) = (converted, operators);
        return findings;
    }

    private static readonly HashSet<string> NumberOperators = ["op_Addition", "op_Subtraction", "op_Multiply", "op_Division", "op_Modulus"];

    /// <summary>TorchSharp's methods that make a temporary Scalar (directly or through what they call), and their classes.</summary>
    private sealed record TorchSharpMakers(HashSet<string> Methods, HashSet<string> Types)
    {
        public static TorchSharpMakers Read(string torchSharpPath)
        {
            var direct = new HashSet<string>();
            var calls = new Dictionary<string, (string OuterType, HashSet<string> Callees)>();
            IlWalker.Walk(torchSharpPath, (where, body) =>
            {
                var callees = new HashSet<string>();
                bool pending = false;
                foreach (var (code, callee, _) in body)
                {
                    if (pending && !IlWalker.IsStore(code)) direct.Add(where.Key);
                    pending = callee is { IsScalarConversion: true };
                    if (callee is { IsScalarConversion: false } c) callees.Add(c.Key);
                }
                // Methods that share a key (overloads differing only in generic arity, say) are one node.
                if (calls.TryGetValue(where.Key, out var known)) known.Callees.UnionWith(callees);
                else calls[where.Key] = (where.OuterType, callees);
            }, everyMethod: true);
            var makers = new HashSet<string>(direct);
            for (bool grew = true; grew;)
            {
                grew = false;
                foreach (var (method, (_, callees)) in calls)
                    if (!makers.Contains(method) && callees.Overlaps(makers)) grew = makers.Add(method) | grew;
            }
            var types = calls.Where(kv => makers.Contains(kv.Key)).Select(kv => kv.Value.OuterType)
                .Where(t => t is not ("Tensor" or "torch" or "functional" or "linalg" or "special" or "fft" or "nn" or "utils")).ToHashSet();
            return new TorchSharpMakers(makers, types);
        }
    }

    /// <summary>A method as the scans name it: "Type::name(parameter types)", with its return type and where it comes from.</summary>
    private sealed record MemberKey(string Parent, string Name, ImmutableArray<string> Parameters, string Returns, bool FromTorchSharp)
    {
        public string Key => $"{Parent}::{Name}({string.Join(",", Parameters)})";
        public bool IsScalarConversion => (Parent == "Scalar" && Name == "op_Implicit") || (Parent == "ScalarExtensionMethods" && Name.StartsWith("To", StringComparison.Ordinal));
        public override string ToString() => Key;
    }

    private sealed record MethodSite(string Key, string OuterType)
    {
        public override string ToString() => Key;
    }

    /// <summary>Walks every method body of an assembly, yielding each instruction's code and the method it calls, constructs or takes the address of.</summary>
    private static class IlWalker
    {
        private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value, o => o.OperandType);

        // stloc (all forms), stfld, stsfld, ret: the Scalar is held by a local, a field or the caller.
        public static bool IsStore(short code) => IsLocalStore(code) || code is 0x7D or 0x80 or 0x2A;

        public static bool IsLocalStore(short code) => code is 0x0A or 0x0B or 0x0C or 0x0D or 0x13 or unchecked((short)0xFE0E);

        public static bool IsLocalLoad(short code) => code is 0x06 or 0x07 or 0x08 or 0x09 or 0x11 or unchecked((short)0xFE0C);

        public static void Walk(string assemblyPath, Action<MethodSite, IEnumerable<(short Code, MemberKey? Callee, int? Local)>> visit, bool everyMethod = false)
        {
            using var stream = File.OpenRead(assemblyPath);
            using var pe = new PEReader(stream);
            var md = pe.GetMetadataReader();
            bool isTorchSharp = md.GetString(md.GetAssemblyDefinition().Name) == "TorchSharp";
            foreach (var typeHandle in md.TypeDefinitions)
            {
                var type = md.GetTypeDefinition(typeHandle);
                foreach (var methodHandle in type.GetMethods())
                {
                    var method = md.GetMethodDefinition(methodHandle);
                    var site = new MethodSite(Member(md, methodHandle, isTorchSharp)!.Key, OuterType(md, typeHandle));
                    if (method.RelativeVirtualAddress == 0)
                    {
                        if (everyMethod) visit(site, []);
                        continue;
                    }
                    visit(site, Instructions(md, pe.GetMethodBody(method.RelativeVirtualAddress).GetILReader(), isTorchSharp).ToList());
                }
            }
        }

        private static IEnumerable<(short, MemberKey?, int?)> Instructions(MetadataReader md, BlobReader il, bool isTorchSharp)
        {
            var result = new List<(short, MemberKey?, int?)>();
            while (il.RemainingBytes > 0)
            {
                short code = il.ReadByte();
                if (code == 0xFE) code = unchecked((short)(0xFE00 | il.ReadByte()));
                var operand = Operands[code];
                int? local = null;
                MemberKey? callee = null;
                switch (code)
                {
                    case >= 0x06 and <= 0x09: local = code - 0x06; break; // ldloc.0–3
                    case >= 0x0A and <= 0x0D: local = code - 0x0A; break; // stloc.0–3
                    case 0x11 or 0x13: local = il.ReadByte(); break;       // ldloc.s, stloc.s
                    case unchecked((short)0xFE0C) or unchecked((short)0xFE0E): local = il.ReadUInt16(); break; // ldloc, stloc
                    case var _ when operand is OperandType.InlineMethod: // call, callvirt, newobj, ldftn, ldvirtftn
                        callee = Member(md, MetadataTokens.EntityHandle(il.ReadInt32()), isTorchSharp);
                        break;
                    default: Skip(ref il, operand); break;
                }
                result.Add((code, callee, local));
            }
            return result;
        }

        private static string OuterType(MetadataReader md, TypeDefinitionHandle handle)
        {
            var type = md.GetTypeDefinition(handle);
            return type.GetDeclaringType().IsNil ? md.GetString(type.Name) : OuterType(md, type.GetDeclaringType());
        }

        private static MemberKey? Member(MetadataReader md, EntityHandle handle, bool inTorchSharp)
        {
            var names = new TypeNames();
            switch (handle.Kind)
            {
                case HandleKind.MethodDefinition:
                    var definition = md.GetMethodDefinition((MethodDefinitionHandle)handle);
                    var own = definition.DecodeSignature(names, null);
                    return new MemberKey(md.GetString(md.GetTypeDefinition(definition.GetDeclaringType()).Name), md.GetString(definition.Name), own.ParameterTypes, own.ReturnType, inTorchSharp);
                case HandleKind.MemberReference:
                    var reference = md.GetMemberReference((MemberReferenceHandle)handle);
                    if (reference.GetKind() != MemberReferenceKind.Method) return null;
                    var signature = reference.DecodeMethodSignature(names, null);
                    var (parent, fromTorchSharp) = reference.Parent.Kind switch
                    {
                        HandleKind.TypeReference => (md.GetString(md.GetTypeReference((TypeReferenceHandle)reference.Parent).Name), inTorchSharp || IsTorchSharp(md, (TypeReferenceHandle)reference.Parent)),
                        HandleKind.TypeDefinition => (md.GetString(md.GetTypeDefinition((TypeDefinitionHandle)reference.Parent).Name), inTorchSharp),
                        // A generic instantiation (ModuleList<T>, Module<T, TResult>): its generic type names the class.
                        HandleKind.TypeSpecification => GenericType(md, (TypeSpecificationHandle)reference.Parent, inTorchSharp),
                        _ => ("?", false),
                    };
                    return new MemberKey(parent, md.GetString(reference.Name), signature.ParameterTypes, signature.ReturnType, fromTorchSharp);
                case HandleKind.MethodSpecification:
                    return Member(md, md.GetMethodSpecification((MethodSpecificationHandle)handle).Method, inTorchSharp);
                default:
                    return null;
            }
        }

        private static (string Name, bool FromTorchSharp) GenericType(MetadataReader md, TypeSpecificationHandle handle, bool inTorchSharp)
        {
            var blob = md.GetBlobReader(md.GetTypeSpecification(handle).Signature);
            if (blob.ReadSignatureTypeCode() != SignatureTypeCode.GenericTypeInstance) return ("?", false);
            blob.ReadSignatureTypeCode(); // class or value type
            var generic = blob.ReadTypeHandle();
            return generic.Kind switch
            {
                HandleKind.TypeReference => (md.GetString(md.GetTypeReference((TypeReferenceHandle)generic).Name), inTorchSharp || IsTorchSharp(md, (TypeReferenceHandle)generic)),
                HandleKind.TypeDefinition => (md.GetString(md.GetTypeDefinition((TypeDefinitionHandle)generic).Name), inTorchSharp),
                _ => ("?", false),
            };
        }

        // A type reference's scope, through any enclosing types, names the assembly that defines it.
        private static bool IsTorchSharp(MetadataReader md, TypeReferenceHandle handle)
        {
            var scope = md.GetTypeReference(handle).ResolutionScope;
            return scope.Kind switch
            {
                HandleKind.AssemblyReference => md.GetString(md.GetAssemblyReference((AssemblyReferenceHandle)scope).Name) == "TorchSharp",
                HandleKind.TypeReference => IsTorchSharp(md, (TypeReferenceHandle)scope),
                _ => false,
            };
        }

        private static void Skip(ref BlobReader il, OperandType operand)
        {
            switch (operand)
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: il.ReadByte(); break;
                case OperandType.InlineVar: il.ReadInt16(); break;
                case OperandType.InlineI8 or OperandType.InlineR: il.ReadInt64(); break;
                case OperandType.ShortInlineR: il.ReadSingle(); break;
                case OperandType.InlineSwitch:
                    int targets = il.ReadInt32();
                    for (int i = 0; i < targets; i++) il.ReadInt32();
                    break;
                default: il.ReadInt32(); break; // branch targets, tokens, strings, 32-bit constants
            }
        }
    }

    /// <summary>Names a signature's types: primitives by their code, classes by their name.</summary>
    private sealed class TypeNames : ISignatureTypeProvider<string, object?>
    {
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => reader.GetString(reader.GetTypeDefinition(handle).Name);
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => reader.GetString(reader.GetTypeReference(handle).Name);
        public string GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) => "spec";
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[,]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPinnedType(string elementType) => elementType;
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => genericType;
        public string GetGenericMethodParameter(object? context, int index) => "!!" + index;
        public string GetGenericTypeParameter(object? context, int index) => "!" + index;
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
    }
}
