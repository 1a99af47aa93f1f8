namespace GauMLNet.Clue;

/// <summary>
/// One CLUE row in the shape every GauMLNet pipeline reads: Sentence1 (and Sentence2 for pair tasks),
/// the label as text (empty for test rows), and the id the submission file needs.
/// </summary>
public sealed class ClueExample
{
    public string Id { get; set; } = "";
    public string Sentence1 { get; set; } = "";
    public string Sentence2 { get; set; } = "";
    public string Label { get; set; } = "";
}
