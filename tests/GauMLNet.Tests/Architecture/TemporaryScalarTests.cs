using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using GauMLNet.Modeling;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Architecture;

/// <summary>
/// GauMLNet's tensor code passes libtorch only numbers it holds (<see cref="HeldScalars"/> says why a temporary
/// TorchSharp Scalar can be freed mid-call). Read from the compiled IL of GauMLNet.dll: every conversion of a number
/// to a Scalar must be stored (a field, a local that a using disposes) or returned to a holder, never passed straight
/// into a call; and no arithmetic operator of TorchSharp's Tensor may take a .NET number, since TorchSharp 0.107 makes
/// the Scalar for it inside the operator and drops it.
/// </summary>
public sealed class TemporaryScalarTests(ITestOutputHelper output)
{
    private static readonly HashSet<string> NumberOperators = ["op_Addition", "op_Subtraction", "op_Multiply", "op_Division", "op_Modulus"];

    [Fact]
    public void GauMLNetPassesNoTemporaryScalarToLibtorch()
    {
        var findings = Scan(typeof(HeldScalars).Assembly.Location, out int conversions, out int operatorCalls);
        output.WriteLine($"{conversions} number-to-Scalar conversions and {operatorCalls} Tensor operator calls checked");
        Assert.True(conversions > 10, "the scan found almost no conversions: it is not reading the IL it should");
        Assert.True(operatorCalls > 20, "the scan found almost no Tensor operators: it is not reading the IL it should");
        Assert.True(findings.Count == 0, "temporary Scalars passed to libtorch:\n" + string.Join('\n', findings));
    }

    [Fact]
    public void TheScanFindsATemporaryScalar()
    {
        // This test assembly is not held to the rule; the method below breaks it on purpose, so the scan must see it.
        var findings = Scan(typeof(TemporaryScalarTests).Assembly.Location, out _, out _);
        Assert.Contains(findings, f => f.Contains(nameof(BreaksTheRule), StringComparison.Ordinal) && f.Contains("op_Multiply", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Contains(nameof(BreaksTheRule), StringComparison.Ordinal) && f.Contains("op_Implicit", StringComparison.Ordinal));
    }

    private static TorchSharp.torch.Tensor BreaksTheRule(TorchSharp.torch.Tensor x) => (x * 0.5).clamp_min(1.0);

    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value, o => o.OperandType);

    private static List<string> Scan(string assemblyPath, out int conversions, out int operatorCalls)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var findings = new List<string>();
        conversions = operatorCalls = 0;
        foreach (var typeHandle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(typeHandle);
            foreach (var methodHandle in type.GetMethods())
            {
                var method = md.GetMethodDefinition(methodHandle);
                if (method.RelativeVirtualAddress == 0) continue;
                string where = $"{md.GetString(type.Name)}.{md.GetString(method.Name)}";
                var il = pe.GetMethodBody(method.RelativeVirtualAddress).GetILReader();
                (string Name, string Parent, MethodSignature<string> Signature)? pendingConversion = null;
                while (il.RemainingBytes > 0)
                {
                    short code = il.ReadByte();
                    if (code == 0xFE) code = unchecked((short)(0xFE00 | il.ReadByte()));
                    if (pendingConversion is { } conversion && !IsStore(code))
                        findings.Add($"{where}: a {conversion.Parent}.{conversion.Name} result goes straight into a call");
                    pendingConversion = null;
                    var operand = Operands[code];
                    if (operand is OperandType.InlineMethod)
                    {
                        var callee = Callee(md, MetadataTokens.EntityHandle(il.ReadInt32()));
                        if (callee is not { } c) continue;
                        if ((c.Parent == "Scalar" && c.Name == "op_Implicit") || (c.Parent == "ScalarExtensionMethods" && c.Name.StartsWith("To", StringComparison.Ordinal)))
                        {
                            conversions++;
                            pendingConversion = c;
                        }
                        else if (c.Parent == "Tensor" && NumberOperators.Contains(c.Name))
                        {
                            operatorCalls++;
                            if (TakesANumber(c.Signature)) findings.Add($"{where}: Tensor.{c.Name} with a .NET number");
                        }
                    }
                    else Skip(ref il, operand);
                }
            }
        }
        return findings;
    }

    // stloc (all forms), stfld, stsfld, ret: the Scalar is held by a local, a field or the caller.
    private static bool IsStore(short code) => code is 0x0A or 0x0B or 0x0C or 0x0D or 0x13 or 0x7D or 0x80 or 0x2A or unchecked((short)0xFE0E);

    private static (string Name, string Parent, MethodSignature<string> Signature)? Callee(MetadataReader md, EntityHandle handle)
    {
        switch (handle.Kind)
        {
            case HandleKind.MemberReference:
                var reference = md.GetMemberReference((MemberReferenceHandle)handle);
                return reference.Parent.Kind == HandleKind.TypeReference
                    ? (md.GetString(reference.Name), md.GetString(md.GetTypeReference((TypeReferenceHandle)reference.Parent).Name), reference.DecodeMethodSignature(new TypeNames(), null))
                    : null;
            case HandleKind.MethodSpecification:
                return Callee(md, md.GetMethodSpecification((MethodSpecificationHandle)handle).Method);
            default:
                return null;
        }
    }

    private static bool TakesANumber(MethodSignature<string> signature) => signature.ParameterTypes.Any(t => t is "Int32" or "Int64" or "Single" or "Double");

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
        public string GetGenericInstantiation(string genericType, System.Collections.Immutable.ImmutableArray<string> typeArguments) => genericType;
        public string GetGenericMethodParameter(object? context, int index) => "!!" + index;
        public string GetGenericTypeParameter(object? context, int index) => "!" + index;
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
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
