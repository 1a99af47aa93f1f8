using GauMLNet.Configuration;
using GauMLNet.Entities;

namespace GauMLNet.Tests.Entities;

/// <summary>Decoding never emits an invalid span, and entity metrics count exactly.</summary>
public sealed class DecodingTests
{
    private static readonly string[] Types = ["loc", "org"];

    [Theory]
    [InlineData(EntityHead.Softmax)]
    [InlineData(EntityHead.Crf)]
    public void BioDecodingNeverStartsOrContinuesAnEntityIllegally(EntityHead head)
    {
        var random = new Random(7);
        var tags = new BioTags(Types);
        (float[], float[], float[])? crf = head == EntityHead.Crf
            ? (Random(random, tags.Count * tags.Count), Random(random, tags.Count), Random(random, tags.Count))
            : null;
        var decoder = new EntityDecoder(head, Types, crf);
        for (int trial = 0; trial < 200; trial++)
        {
            int length = random.Next(1, 30);
            var view = AlignedTextView.TokensOnly(length);
            // Scores that favour I- tags everywhere: a naive argmax would emit I- without B-.
            var values = Random(random, (length + 2) * tags.Count);
            for (int t = 0; t < length + 2; t++) values[t * tags.Count + BioTags.Inside(random.Next(2))] += 3;
            var entities = decoder.Decode(view, values);
            var back = tags.ToTags(view, entities);
            for (int t = 0; t < length; t++) Assert.True(BioTags.Allowed(t == 0 ? -1 : back[t - 1], back[t]), $"invalid tag sequence at {t}");
            Assert.All(entities, e => Assert.True(e.Start <= e.End));
        }
    }

    [Fact]
    public void GlobalPointerEmitsOnlySpansOfRealTokensWithStartBeforeEnd()
    {
        var decoder = new EntityDecoder(EntityHead.GlobalPointer, Types);
        int length = 5, positions = 9; // [CLS] 5 tokens [SEP] 2 padding
        var values = Enumerable.Repeat(1f, Types.Length * positions * positions).ToArray(); // every pair "positive"
        var entities = decoder.Decode(AlignedTextView.TokensOnly(length), values);
        Assert.Equal(Types.Length * length * (length + 1) / 2, entities.Count); // exactly the valid spans
        Assert.All(entities, e => Assert.True(e.Start <= e.End && e.End < length));
    }

    [Fact]
    public void MetricsCountEveryEntityExactly()
    {
        var gold = new List<IReadOnlyCollection<Entity>> { new[] { new Entity("loc", 0, 1), new Entity("org", 3, 5) }, new[] { new Entity("loc", 2, 2) } };
        var predicted = new List<IReadOnlyCollection<Entity>> { new[] { new Entity("loc", 0, 1), new Entity("org", 3, 4) }, new[] { new Entity("loc", 2, 2), new Entity("org", 0, 0) } };
        var metrics = EntityMetrics.Evaluate(gold, predicted);
        Assert.Equal(2.0 / 4, metrics.MicroPrecision, 10);
        Assert.Equal(2.0 / 3, metrics.MicroRecall, 10);
        var loc = metrics.PerType.Single(t => t.Type == "loc");
        var org = metrics.PerType.Single(t => t.Type == "org");
        Assert.Equal((1.0, 1.0), (loc.Precision, loc.Recall));
        Assert.Equal((0.0, 0.0), (org.Precision, org.Recall));
        Assert.Equal(0.5, metrics.MacroF1, 10);
        Assert.Throws<ArgumentException>(() => EntityMetrics.Evaluate(gold, predicted.Take(1).ToList()));
    }

    private static float[] Random(Random random, int count) => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
}
