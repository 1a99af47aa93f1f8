namespace GauMLNet.Entities;

/// <summary>A named entity: its type and the characters it spans, Start to End inclusive (CLUENER's convention).</summary>
public sealed record Entity(string Type, int Start, int End)
{
    /// <summary>The entity's text in <paramref name="sentence"/>.</summary>
    public string TextIn(string sentence) => sentence[Start..(End + 1)];

    public override string ToString() => $"{Type} [{Start}, {End}]";
}
