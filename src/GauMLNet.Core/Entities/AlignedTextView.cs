using GauMLNet.Text;

namespace GauMLNet.Entities;

/// <summary>A window of an <see cref="AlignedText"/>: tokens [Offset, Offset + Length), mapping entities to token ranges and back.</summary>
internal readonly record struct AlignedTextView(AlignedText Text, int Offset, int Length)
{
    public static AlignedTextView Whole(AlignedText text) => new(text, 0, text.Length);

    /// <summary>A view whose tokens stand for characters 0..length-1: spans in token coordinates.</summary>
    public static AlignedTextView TokensOnly(int length) =>
        Whole(new AlignedText(new string('·', length), new int[length], [.. Enumerable.Range(0, length)], Enumerable.Repeat(1, length).ToArray()));

    /// <summary>The first and last token (window-relative) an entity covers; an error when its edges are not on tokens of this window.</summary>
    public (int First, int Last) TokenRange(Entity entity)
    {
        int first = Text.TokenAt(entity.Start), last = Text.TokenAt(entity.End);
        if (first < 0 || last < 0 || Text.CharStarts[first] != entity.Start || Text.CharStarts[last] + Text.CharLengths[last] - 1 != entity.End)
            throw new InvalidDataException($"entity {entity} ('{SafeText(entity)}') does not start and end on characters of the text (whitespace or outside it).");
        if (first < Offset || last >= Offset + Length)
            throw new ArgumentOutOfRangeException(nameof(entity), $"entity {entity} is not inside tokens [{Offset}, {Offset + Length}).");
        return (first - Offset, last - Offset);
    }

    /// <summary>Whether the entity lies inside this window.</summary>
    public bool Contains(Entity entity)
    {
        int first = Text.TokenAt(entity.Start), last = Text.TokenAt(entity.End);
        return first >= Offset && last >= 0 && last < Offset + Length;
    }

    /// <summary>The entity spanning window tokens first..last.</summary>
    public Entity EntityOf(string type, int first, int last) =>
        new(type, Text.CharStarts[Offset + first], Text.CharStarts[Offset + last] + Text.CharLengths[Offset + last] - 1);

    public int[] Ids => Text.Ids[Offset..(Offset + Length)];

    private string SafeText(Entity entity) =>
        entity.Start >= 0 && entity.End < Text.Text.Length && entity.Start <= entity.End ? entity.TextIn(Text.Text) : "?";
}
