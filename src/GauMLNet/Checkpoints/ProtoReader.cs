namespace GauMLNet.TorchSharp.Checkpoints;

/// <summary>Just enough of the protobuf wire format to read TensorFlow's BundleHeaderProto and BundleEntryProto.</summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool AtEnd => _position >= _data.Length;

    /// <summary>The next field's number and wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).</summary>
    public (int Field, int WireType) ReadTag()
    {
        ulong tag = ReadVarint();
        return ((int)(tag >> 3), (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length) throw new InvalidDataException("truncated varint");
            byte b = _data[_position++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new InvalidDataException("varint longer than 64 bits");
    }

    public uint ReadFixed32()
    {
        if (_position + 4 > _data.Length) throw new InvalidDataException("truncated fixed32");
        uint v = BitConverter.ToUInt32(_data.Slice(_position, 4));
        _position += 4;
        return v;
    }

    public ReadOnlySpan<byte> ReadBytes()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_data.Length - _position)) throw new InvalidDataException("truncated length-delimited field");
        var slice = _data.Slice(_position, (int)length);
        _position += (int)length;
        return slice;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: ReadVarint(); break;
            case 1: _position += 8; break;
            case 2: ReadBytes(); break;
            case 5: _position += 4; break;
            default: throw new InvalidDataException($"unsupported protobuf wire type {wireType}");
        }
        if (_position > _data.Length) throw new InvalidDataException("truncated field");
    }
}
