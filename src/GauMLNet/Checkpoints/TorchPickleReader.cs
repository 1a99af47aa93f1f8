using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Checkpoints;

/// <summary>
/// Reads a PyTorch state_dict saved with torch.save (torch ≥ 1.6 zip: data.pkl + data/N storages) without
/// Python. The unpickler implements only the opcodes a state_dict uses and calls only an allow-list of
/// globals (OrderedDict, _rebuild_tensor_v2, _rebuild_parameter, storage types), so a malicious file
/// cannot run code: anything else is refused with an error naming it.
/// </summary>
internal static class TorchPickleReader
{
    private static readonly Dictionary<string, ScalarType> StorageTypes = new()
    {
        ["FloatStorage"] = ScalarType.Float32,
        ["HalfStorage"] = ScalarType.Float16,
        ["BFloat16Storage"] = ScalarType.BFloat16,
        ["DoubleStorage"] = ScalarType.Float64,
        ["LongStorage"] = ScalarType.Int64,
        ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16,
        ["CharStorage"] = ScalarType.Int8,
        ["ByteStorage"] = ScalarType.Byte,
        ["BoolStorage"] = ScalarType.Bool,
    };

    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist.", path);
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (Exception ex) when (ex is InvalidDataException or IOException and not FileNotFoundException)
        {
            throw new InvalidDataException($"{path}: not a torch.save zip archive (legacy pre-1.6 pickles are not supported; re-save with torch ≥ 1.6). {ex.Message}", ex);
        }
        using (zip)
        {
            var pickle = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl")
                ?? throw new InvalidDataException($"{path}: the archive has no data.pkl.");
            string root = pickle.FullName[..^"data.pkl".Length];
            byte[] program = ReadEntry(pickle, path);
            var storages = new Dictionary<string, Tensor>();
            try
            {
                var result = new Unpickler(program, path, key => LoadStorage(zip, root, key, path, storages)).Run();
                if (result is not Dictionary<object, object?> dict) throw new InvalidDataException($"{path}: data.pkl does not hold a state_dict (a dictionary of tensors).");
                var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                foreach (var (key, value) in dict)
                {
                    if (key is not string name || value is not Tensor t || storages.Values.Any(s => ReferenceEquals(s, t)))
                        throw new InvalidDataException($"{path}: entry '{key}' is not a named tensor.");
                    tensors[name] = t;
                }
                return tensors;
            }
            finally
            {
                foreach (var s in storages.Values) s.Dispose();
            }
        }
    }

    private sealed record StorageRef(string Key, ScalarType Type);

    private static Tensor LoadStorage(ZipArchive zip, string root, StorageRef storage, string path, Dictionary<string, Tensor> cache)
    {
        if (cache.TryGetValue(storage.Key, out var cached)) return cached;
        var entry = zip.GetEntry(root + "data/" + storage.Key) ?? throw new InvalidDataException($"{path}: storage data/{storage.Key} is missing.");
        var bytes = ReadEntry(entry, path);
        int size = TensorDType.ElementSize(storage.Type);
        if (bytes.Length % size != 0) throw new InvalidDataException($"{path}: storage data/{storage.Key} has {bytes.Length} bytes, not a whole number of {storage.Type}.");
        var flat = empty(bytes.Length / size, storage.Type);
        if (bytes.Length > 0) flat.bytes = bytes;
        cache[storage.Key] = flat;
        return flat;
    }

    /// <summary>
    /// An entry's bytes, checked against the length the archive declares; memory grows with the bytes actually read,
    /// never with a forged length.
    /// </summary>
    private static byte[] ReadEntry(ZipArchiveEntry entry, string path)
    {
        try
        {
            using var stream = entry.Open();
            using var copy = new MemoryStream();
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                if (copy.Length + read > entry.Length) throw new InvalidDataException($"holds more than the {entry.Length} bytes the archive declares");
                copy.Write(buffer, 0, read);
            }
            if (copy.Length != entry.Length) throw new InvalidDataException($"holds {copy.Length} bytes where the archive declares {entry.Length}");
            return copy.ToArray();
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or NotSupportedException)
        {
            throw new InvalidDataException($"{path}: entry {entry.FullName} cannot be read ({ex.Message}).", ex);
        }
    }

    /// <summary>A pickle virtual machine restricted to what torch state_dicts need.</summary>
    private sealed class Unpickler(byte[] program, string path, Func<StorageRef, Tensor> loadStorage)
    {
        private readonly Stack<object?> _stack = new();
        private readonly Stack<int> _marks = new();
        private readonly Dictionary<long, object?> _memo = [];
        private readonly HashSet<Tensor> _storages = new(ReferenceEqualityComparer.Instance);
        private int _pc;

        private sealed record Global(string Module, string Name);

        public object? Run()
        {
            while (true)
            {
                if (_pc >= program.Length) throw Bad("ended without STOP");
                byte op = program[_pc++];
                switch (op)
                {
                    case 0x80: Take(1); break; // PROTO
                    case 0x95: Take(8); break; // FRAME
                    case (byte)'.': return Pop(); // STOP
                    case (byte)'}': _stack.Push(new Dictionary<object, object?>()); break; // EMPTY_DICT
                    case (byte)']': _stack.Push(new List<object?>()); break; // EMPTY_LIST
                    case (byte)')': _stack.Push(Array.Empty<object?>()); break; // EMPTY_TUPLE
                    case (byte)'(': _marks.Push(_stack.Count); break; // MARK
                    case (byte)'N': _stack.Push(null); break;
                    case 0x88: _stack.Push(true); break;
                    case 0x89: _stack.Push(false); break;
                    case (byte)'K': _stack.Push((long)Take(1)[0]); break; // BININT1
                    case (byte)'M': _stack.Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                    case (byte)'J': _stack.Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break; // BININT
                    case 0x8a: // LONG1
                        {
                            var bytes = Take(Take(1)[0]);
                            if (bytes.Length > 8) throw Bad($"holds a {bytes.Length}-byte integer at byte {_pc - bytes.Length - 2}; a state_dict's fit in 8");
                            long v = 0;
                            for (int i = 0; i < bytes.Length; i++) v |= (long)bytes[i] << (8 * i);
                            if (bytes.Length is > 0 and < 8 && (bytes[^1] & 0x80) != 0) v -= 1L << (8 * bytes.Length);
                            _stack.Push(v);
                            break;
                        }
                    case (byte)'G': _stack.Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT
                    case (byte)'X': _stack.Push(Encoding.UTF8.GetString(Take(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))))); break; // BINUNICODE
                    case 0x8c: _stack.Push(Encoding.UTF8.GetString(Take(Take(1)[0]))); break; // SHORT_BINUNICODE
                    case (byte)'q': _memo[Take(1)[0]] = Peek(); break; // BINPUT
                    case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break; // LONG_BINPUT
                    case 0x94: _memo[_memo.Count] = Peek(); break; // MEMOIZE
                    case (byte)'h': _stack.Push(Memo(Take(1)[0])); break; // BINGET
                    case (byte)'j': _stack.Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break; // LONG_BINGET
                    case (byte)'t': _stack.Push(PopMark().ToArray()); break; // TUPLE
                    case 0x85: _stack.Push(new[] { Pop() }); break; // TUPLE1
                    case 0x86: { var b = Pop(); var a = Pop(); _stack.Push(new[] { a, b }); break; } // TUPLE2
                    case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); _stack.Push(new[] { a, b, c }); break; } // TUPLE3
                    case (byte)'a': { var v = Pop(); List(Peek()).Add(v); break; } // APPEND
                    case (byte)'e': { var items = PopMark(); List(Peek()).AddRange(items); break; } // APPENDS
                    case (byte)'s': { var v = Pop(); var k = Pop(); SetItem(Dict(Peek()), k, v); break; } // SETITEM
                    case (byte)'u': // SETITEMS
                        {
                            var items = PopMark();
                            var dict = Dict(Peek());
                            for (int i = 0; i + 1 < items.Count; i += 2) SetItem(dict, items[i], items[i + 1]);
                            break;
                        }
                    case (byte)'c': // GLOBAL "module\nname\n"
                        {
                            string module = ReadLine(), name = ReadLine();
                            _stack.Push(Allow(module, name));
                            break;
                        }
                    case 0x93: { var name = Pop<string>("STACK_GLOBAL"); var module = Pop<string>("STACK_GLOBAL"); _stack.Push(Allow(module, name)); break; } // STACK_GLOBAL
                    case (byte)'Q': _stack.Push(PersistentLoad(Pop())); break; // BINPERSID
                    case (byte)'R': { var args = Pop<object?[]>("REDUCE"); var callable = Pop(); _stack.Push(Call(callable, args)); break; } // REDUCE
                    case 0x81: { var args = Pop<object?[]>("NEWOBJ"); var cls = Pop(); _stack.Push(Call(cls, args)); break; } // NEWOBJ
                    case (byte)'b': // BUILD: state for an object; tensors and dicts built by our calls take none that matters
                        {
                            var state = Pop();
                            if (Peek() is Dictionary<object, object?> d && state is Dictionary<object, object?> s)
                                foreach (var (k, v) in s) d[k] = v;
                            break;
                        }
                    default:
                        throw Bad($"uses pickle opcode 0x{op:x2} at byte {_pc - 1}, which a state_dict does not need; refusing to continue");
                }
            }
        }

        private object Allow(string module, string name) => (module, name) switch
        {
            ("collections", "OrderedDict") => new Global(module, name),
            ("torch._utils", "_rebuild_tensor_v2") => new Global(module, name),
            ("torch._utils", "_rebuild_parameter") => new Global(module, name),
            ("torch", _) when StorageTypes.ContainsKey(name) => new Global(module, name),
            _ => throw Bad($"references the global {module}.{name}, which is not on the allow-list for state_dicts; refusing to load (a pickle can run arbitrary code)"),
        };

        private object? Call(object? callable, object?[] args)
        {
            if (callable is not Global g) throw Bad("calls something that is not an allowed global");
            switch (g.Name)
            {
                case "OrderedDict":
                    return new Dictionary<object, object?>();
                case "_rebuild_tensor_v2":
                    {
                        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                        if (args.Length < 4 || args[0] is not Tensor storage || !_storages.Contains(storage) || args[1] is not long offset || Longs(args[2]) is not { } size
                            || Longs(args[3]) is not { } stride || size.Length != stride.Length)
                            throw Bad("_rebuild_tensor_v2 has unexpected arguments");
                        if (offset < 0 || size.Any(d => d < 0) || stride.Any(d => d < 0))
                            throw Bad($"a tensor has a negative offset, size or stride (offset {offset}, size [{string.Join(", ", size)}], stride [{string.Join(", ", stride)}])");
                        long elements, needed;
                        try
                        {
                            elements = size.Aggregate(1L, (a, d) => checked(a * d));
                            needed = elements == 0 ? offset : checked(offset + 1 + size.Zip(stride).Sum(p => checked((p.First - 1) * p.Second)));
                        }
                        catch (OverflowException) { throw Bad($"a tensor of size [{string.Join(", ", size)}] and stride [{string.Join(", ", stride)}] is too large to address"); }
                        long available = storage.numel();
                        if (needed > available || elements > available)
                            throw Bad($"a tensor of size [{string.Join(", ", size)}] runs past its storage ({available} elements)");
                        // The view stays referenced until clone returns: a temporary could be finalized (its native tensor
                        // freed) while libtorch is still copying from it.
                        using var view = storage.as_strided(size, stride, offset);
                        return view.clone();
                    }
                case "_rebuild_parameter":
                    return args.Length > 0 && args[0] is Tensor t ? t : throw Bad("_rebuild_parameter has unexpected arguments");
                default:
                    throw Bad($"cannot construct {g.Module}.{g.Name} directly");
            }
        }

        private object PersistentLoad(object? pid)
        {
            // ('storage', storage_type, key, location, numel)
            if (pid is not object?[] { Length: >= 5 } t || t[0] is not "storage" || t[1] is not Global { Module: "torch" } type || t[2] is not string key)
                throw Bad("has a persistent id that is not a torch storage reference");
            var storage = loadStorage(new StorageRef(key, StorageTypes[type.Name]));
            _storages.Add(storage);
            return storage;
        }

        private static long[]? Longs(object? tuple) =>
            tuple is object?[] items && items.All(x => x is long) ? items.Select(x => (long)x!).ToArray() : null;

        /// <summary>The next <paramref name="count"/> bytes of the program (an opcode's argument).</summary>
        private ReadOnlySpan<byte> Take(long count)
        {
            if (count > program.Length - _pc) throw Bad($"ends inside an opcode's {count}-byte argument at byte {_pc}");
            var bytes = program.AsSpan(_pc, (int)count);
            _pc += (int)count;
            return bytes;
        }

        private object? Pop() => _stack.Count > 0 ? _stack.Pop() : throw Bad($"pops an empty stack at byte {_pc - 1}");

        private object? Peek() => _stack.Count > 0 ? _stack.Peek() : throw Bad($"reads an empty stack at byte {_pc - 1}");

        private T Pop<T>(string opcode) => Pop() is T value ? value : throw Bad($"gives {opcode} an argument of the wrong type at byte {_pc - 1}");

        private object? Memo(long key) => _memo.TryGetValue(key, out var value) ? value : throw Bad($"reads memo {key}, which was never stored");

        private List<object?> List(object? o) => o as List<object?> ?? throw Bad("appends to something that is not a list");

        private void SetItem(Dictionary<object, object?> dict, object? key, object? value) =>
            dict[key ?? throw Bad("uses None as a dictionary key")] = value;

        private List<object?> PopMark()
        {
            if (_marks.Count == 0) throw Bad("pops a MARK that was never pushed");
            int mark = _marks.Pop();
            var items = new List<object?>();
            while (_stack.Count > mark) items.Add(_stack.Pop());
            items.Reverse();
            return items;
        }

        private Dictionary<object, object?> Dict(object? o) => o as Dictionary<object, object?> ?? throw Bad("sets an item on something that is not a dictionary");

        private string ReadLine()
        {
            int end = Array.IndexOf(program, (byte)'\n', _pc);
            if (end < 0) throw Bad("has an unterminated GLOBAL");
            string s = Encoding.UTF8.GetString(program, _pc, end - _pc);
            _pc = end + 1;
            return s;
        }

        private InvalidDataException Bad(string what) => new($"{path}: data.pkl {what}.");
    }
}
