using System.Text;

namespace GauMLNet.Storage;

/// <summary>
/// Text files decoded strictly: UTF-8 by default (a BOM is accepted), or a legacy encoding by name
/// (gb18030, gbk, big5, …). Bytes that are not valid in the encoding are an error naming the file and
/// line, never U+FFFD replacement characters quietly fed to a model.
/// </summary>
internal static class TextFiles
{
    static TextFiles() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>UTF-8 that throws on invalid bytes.</summary>
    public static Encoding StrictUtf8 { get; } = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The encoding a user named (null or utf-8: strict UTF-8), throwing on bytes it cannot decode.</summary>
    public static Encoding Resolve(string? name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().ToLowerInvariant() is "utf-8" or "utf8") return StrictUtf8;
        try
        {
            return Encoding.GetEncoding(name.Trim(), EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException($"Unknown text encoding '{name}'; use utf-8 (the default), gb18030, gbk, big5 or another .NET encoding name.");
        }
    }

    /// <summary>The whole file as text; throws <see cref="InvalidDataException"/> naming the file and line of the first undecodable byte.</summary>
    public static string ReadAllText(string path, Encoding? encoding = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist.", path);
        return Decode(File.ReadAllBytes(path), path, encoding);
    }

    /// <summary>The file's lines (\n or \r\n), decoded strictly.</summary>
    public static string[] ReadAllLines(string path, Encoding? encoding = null)
    {
        var lines = ReadAllText(path, encoding).Split('\n');
        int count = lines[^1].Length == 0 ? lines.Length - 1 : lines.Length; // the file's final newline ends the last line
        return lines.Take(count).Select(l => l.TrimEnd('\r')).ToArray();
    }

    /// <summary>Decodes bytes (a UTF-8 BOM is skipped for UTF-8); <paramref name="source"/> names them in errors.</summary>
    public static string Decode(byte[] bytes, string source, Encoding? encoding = null)
    {
        encoding ??= StrictUtf8;
        int start = encoding.CodePage == Encoding.UTF8.CodePage && bytes.AsSpan().StartsWith((byte[])[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        try
        {
            return encoding.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException ex)
        {
            int at = Math.Clamp(start + Math.Max(0, ex.Index), 0, bytes.Length);
            int line = 1 + bytes.AsSpan(0, at).Count((byte)'\n');
            throw Undecodable(source, line, ex.BytesUnknown, encoding, ex);
        }
    }

    /// <summary>
    /// For a file a stream reader failed to decode: finds the first undecodable byte by reading the file again in chunks (constant
    /// memory) and returns the error naming its line, as <see cref="Decode"/> does.
    /// </summary>
    public static InvalidDataException UndecodableError(string path, Encoding encoding, Exception? inner = null)
    {
        var decoder = encoding.GetDecoder();
        var bytes = new byte[1 << 16];
        var chars = new char[encoding.GetMaxCharCount(bytes.Length)];
        long line = 1;
        using var stream = File.OpenRead(path);
        bool first = true;
        for (int read; (read = stream.Read(bytes, 0, bytes.Length)) > 0; first = false)
        {
            int start = first && encoding.CodePage == Encoding.UTF8.CodePage && bytes.AsSpan(0, read).StartsWith((byte[])[0xEF, 0xBB, 0xBF]) ? 3 : 0;
            try
            {
                decoder.GetChars(bytes, start, read - start, chars, 0, flush: false);
            }
            catch (DecoderFallbackException ex)
            {
                int at = Math.Clamp(start + Math.Max(0, ex.Index), 0, read);
                return Undecodable(path, line + bytes.AsSpan(0, at).Count((byte)'\n'), ex.BytesUnknown, encoding, ex);
            }
            line += bytes.AsSpan(0, read).Count((byte)'\n');
        }
        return Undecodable(path, line, [], encoding, inner); // the end of the file cut a character short
    }

    private static InvalidDataException Undecodable(string source, long line, byte[]? unknown, Encoding encoding, Exception? inner) =>
        new($"{source}:{line}: byte(s) 0x{Convert.ToHexString(unknown ?? [])} are not valid {encoding.WebName}. " +
            (encoding.CodePage == Encoding.UTF8.CodePage ? "If the file is in a legacy Chinese encoding, pass --encoding gb18030 (or gbk, big5)." : "Check the file's encoding."), inner);

    /// <summary>
    /// Checks text that arrived without bytes to check, such as a command-line argument, which .NET decodes with
    /// replacement: U+FFFD or a lone surrogate means the original bytes were not valid UTF-8.
    /// </summary>
    public static string RequireValid(string text, string what)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            bool loneSurrogate = char.IsHighSurrogate(c) ? i + 1 >= text.Length || !char.IsLowSurrogate(text[++i]) : char.IsLowSurrogate(c);
            if (c == '\uFFFD' || loneSurrogate)
                throw new ArgumentException($"{what}: the text is not valid UTF-8 (character {i + 1} could not be decoded); pass text in UTF-8.");
        }
        return text;
    }
}
