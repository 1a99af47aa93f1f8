namespace GauMLNet.Entities;

/// <summary>
/// The BIO tag set of some entity types: tag 0 is O, then B-type and I-type for each type in order. Converts entities
/// to per-token tags and back, and says which tag may follow which (I-x only after B-x or I-x).
/// </summary>
public sealed class BioTags
{
    public BioTags(IReadOnlyList<string> types)
    {
        if (types.Count == 0) throw new ArgumentException("At least one entity type is needed.", nameof(types));
        Types = types;
        Names = ["O", .. types.SelectMany(t => new[] { "B-" + t, "I-" + t })];
    }

    public IReadOnlyList<string> Types { get; }
    /// <summary>O, B-type₀, I-type₀, B-type₁, …</summary>
    public IReadOnlyList<string> Names { get; }
    public int Count => Names.Count;

    public static int Begin(int type) => 1 + 2 * type;
    public static int Inside(int type) => 2 + 2 * type;
    private static int TypeOf(int tag) => (tag - 1) / 2;
    private static bool IsInside(int tag) => tag > 0 && tag % 2 == 0;

    /// <summary>Whether <paramref name="next"/> may follow <paramref name="previous"/> (-1: the sequence start).</summary>
    public static bool Allowed(int previous, int next) =>
        !IsInside(next) || (previous > 0 && TypeOf(previous) == TypeOf(next));

    /// <summary>Per-token tags of entities on an aligned text; an entity whose edges fall on no token is an error.</summary>
    internal int[] ToTags(AlignedTextView text, IEnumerable<Entity> entities)
    {
        var tags = new int[text.Length];
        foreach (var entity in entities.OrderBy(e => e.Start))
        {
            int type = IndexOf(entity.Type);
            var (first, last) = text.TokenRange(entity);
            if (tags[first..(last + 1)].Any(t => t != 0)) continue; // overlapping entities: BIO keeps the first (GlobalPointer keeps all)
            tags[first] = Begin(type);
            for (int i = first + 1; i <= last; i++) tags[i] = Inside(type);
        }
        return tags;
    }

    /// <summary>Entities of valid BIO tags (a stray I- starts an entity, as a lenient reader would).</summary>
    internal List<Entity> ToEntities(AlignedTextView text, IReadOnlyList<int> tags)
    {
        var entities = new List<Entity>();
        for (int i = 0; i < tags.Count; i++)
        {
            if (tags[i] == 0) continue;
            int type = TypeOf(tags[i]), j = i;
            while (j + 1 < tags.Count && tags[j + 1] == Inside(type)) j++;
            entities.Add(text.EntityOf(Types[type], i, j));
            i = j;
        }
        return entities;
    }

    public int IndexOf(string type)
    {
        for (int i = 0; i < Types.Count; i++) if (Types[i] == type) return i;
        throw new InvalidDataException($"entity type '{type}' is not one of the model's types ({string.Join(", ", Types)}).");
    }
}
