using System.Runtime.InteropServices;
using System.Text;
using GauMLNet.Onnx.Protos;
using Google.Protobuf;

namespace GauMLNet.Onnx.Graph;

/// <summary>
/// Writes an ONNX graph node by node: unique value names, initializers as raw little-endian data (shared, not
/// copied, when the caller hands over its array), scalar constants made once, typed graph inputs and outputs.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly GraphProto _graph = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
    private int _nodes;

    public OnnxGraphBuilder(string name) => _graph.Name = name;

    public GraphProto Graph => _graph;

    /// <summary>A value name not used yet: <paramref name="hint"/> itself, else hint_2, hint_3, …</summary>
    public string Fresh(string hint)
    {
        if (_names.Add(hint)) return hint;
        for (int i = 2; ; i++)
            if (_names.Add($"{hint}_{i}")) return $"{hint}_{i}";
    }

    /// <summary>Adds a node with one output named after <paramref name="output"/> (made unique); returns that name.</summary>
    public string Op(string opType, string output, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        Op(opType, [output], inputs, OnnxDomains.Onnx, attributes)[0];

    /// <summary>A com.microsoft (ONNX Runtime contrib) node with one output.</summary>
    public string MsOp(string opType, string output, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        Op(opType, [output], inputs, OnnxDomains.Microsoft, attributes)[0];

    /// <summary>Adds a node; an empty output hint leaves that output unused (""), an empty input name skips an optional input.</summary>
    public string[] Op(string opType, string[] outputs, IEnumerable<string> inputs, string domain, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{_nodes++}" };
        if (domain.Length > 0) node.Domain = domain;
        node.Input.AddRange(inputs);
        var names = outputs.Select(o => o.Length == 0 ? "" : Fresh(o)).ToArray();
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return names;
    }

    /// <summary>An fp32 initializer; <paramref name="values"/> is copied into the model.</summary>
    public string Initializer(string name, float[] values, params long[] dims) =>
        Initializer(name, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), dims);

    public string Initializer(string name, double[] values, params long[] dims) =>
        Initializer(name, TensorProto.Types.DataType.Double, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), dims);

    public string Initializer(string name, sbyte[] values, params long[] dims) =>
        Initializer(name, TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), dims);

    public string Initializer(string name, long[] values, params long[] dims) =>
        Initializer(name, TensorProto.Types.DataType.Int64, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), dims);

    /// <summary>An initializer from little-endian bytes, which the model keeps without a copy.</summary>
    public string Initializer(string name, TensorProto.Types.DataType type, byte[] littleEndian, params long[] dims)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The ONNX exporter writes raw tensor data on little-endian machines only.");
        var tensor = new TensorProto { Name = Fresh(name), DataType = (int)type, RawData = UnsafeByteOperations.UnsafeWrap(littleEndian) };
        tensor.Dims.AddRange(dims);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A float scalar (rank 0) or a 1-D float constant, made once per value.</summary>
    public string Scalar(float value) => Cached($"f:{BitConverter.SingleToInt32Bits(value)}", () => Initializer("const_f", [value]));

    public string Scalar(long value) => Cached($"i:{value}", () => Initializer("const_i", [value]));

    /// <summary>A 1-D int64 constant such as axes or a shape.</summary>
    public string Int64s(params long[] values) => Cached("v:" + string.Join(",", values), () => Initializer("const_v", values, values.Length));

    private string Cached(string key, Func<string> make)
    {
        if (!_constants.TryGetValue(key, out var name)) _constants[key] = name = make();
        return name;
    }

    /// <summary>A graph input or output: a tensor of <paramref name="type"/> whose dimensions are sizes (long) or symbols (string).</summary>
    public static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
            shape.Dim.Add(dim switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                long size => new TensorShapeProto.Types.Dimension { DimValue = size },
                int size => new TensorShapeProto.Types.Dimension { DimValue = size },
                _ => throw new ArgumentException($"A dimension is a size or a symbol, not {dim}.", nameof(dims)),
            });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    public void Input(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"The graph already has a value named {name}.");
        _graph.Input.Add(Value(name, type, dims));
    }

    /// <summary>Declares <paramref name="value"/> a graph output under <paramref name="name"/> (through an Identity when the names differ).</summary>
    public void Output(string value, string name, TensorProto.Types.DataType type, params object[] dims)
    {
        if (value != name)
        {
            if (!_names.Add(name)) throw new InvalidOperationException($"The graph already has a value named {name}.");
            var node = new NodeProto { OpType = "Identity", Name = $"Identity_{_nodes++}" };
            node.Input.Add(value);
            node.Output.Add(name);
            _graph.Node.Add(node);
        }
        _graph.Output.Add(Value(name, type, dims));
    }
}

/// <summary>Operator set domains.</summary>
internal static class OnnxDomains
{
    /// <summary>ai.onnx, the standard operators (written as the empty string).</summary>
    public const string Onnx = "";
    /// <summary>ONNX Runtime's contrib operators.</summary>
    public const string Microsoft = "com.microsoft";
}

/// <summary>Node attributes.</summary>
internal static class Attr
{
    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFrom(Encoding.UTF8.GetBytes(value)) };
}
