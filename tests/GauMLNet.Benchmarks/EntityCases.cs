using System.Text.Json;
using GauMLNet.Configuration;
using GauMLNet.Tasks;
using GauMLNet.Text;
using GauMLNet.TorchSharp.Backend;
using GauMLNet.TorchSharp.Training;
using GauMLNet.Training;
using static TorchSharp.torch;

namespace GauMLNet.Benchmarks;

/// <summary>
/// (i) Named entities: sentences per second of training steps and of scoring for each head, at the small preset
/// (8 layers, d 256) on 40-character sentences (CLUENER's mean is 37), batch 32, as `gau train --task cluener` runs them.
/// </summary>
internal static class EntityCases
{
    public static readonly string[] Kinds = ["ner-crf", "ner-softmax", "ner-globalpointer"];

    public static int RunChild(string kind, int sentences, bool train)
    {
        var head = kind switch
        {
            "ner-crf" => EntityHead.Crf,
            "ner-softmax" => EntityHead.Softmax,
            "ner-globalpointer" => EntityHead.GlobalPointer,
            _ => throw new ArgumentException($"Unknown entity case '{kind}'."),
        };
        const int length = 40, types = 10;
        var config = GauAlphaConfig.Small with { VocabSize = 6000 };
        var spec = new GauTaskSpec
        {
            Task = GauTask.TokenClassification,
            TextColumns = ["Sentence"],
            OutputColumns = ["PredictedEntities"],
            EntityHead = head,
            EntityTypes = Enumerable.Range(0, types).Select(t => $"type{t}").ToArray(),
            Outputs = head == EntityHead.GlobalPointer ? types : 1 + 2 * types,
        };
        using var network = TaskNetworkFactory.CreateInitialized(spec, config, seed: 1);
        var random = new Random(2);
        var rows = Enumerable.Range(0, sentences).Select(_ =>
        {
            int[] ids = [2, .. Enumerable.Range(0, length).Select(_ => random.Next(5, 6000)), 3];
            var tags = Enumerable.Range(0, length).Select(t => t % 7 == 1 ? 1 + 2 * (t % types) : t % 7 == 2 ? 2 + 2 * ((t - 1) % types) : 0).ToArray();
            var spans = Enumerable.Range(0, length).Where(t => t % 7 == 1).Select(t => (t, t + 1, t % types)).ToArray();
            return new LabeledExample(new EncodedText(ids, new int[ids.Length], false), 0, new TokenTargets(tags, spans));
        }).ToList();
        double seconds;
        if (train)
        {
            var tuner = new FineTuner(new FineTuningOptions { Epochs = 1, BatchSize = 32, LearningRate = 1e-4 }, GauTask.TokenClassification,
                trained => TorchSharpInferenceEngine.Borrowing(trained, CPU));
            seconds = Timer.BestSeconds(() => tuner.Train(network, rows, null, padId: 0, CPU), 2);
        }
        else
        {
            network.eval();
            var batch = GauMLNet.TorchSharp.Batches.TensorBatch.Collate(rows.Select(r => r.Text).Take(32).ToArray(), 0, CPU);
            seconds = Timer.BestSeconds(() =>
            {
                using var _ = no_grad();
                using var scope = NewDisposeScope();
                for (int b = 0; b < sentences / 32; b++) network.call(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask);
            }, 3);
        }
        Console.WriteLine(JsonSerializer.Serialize(new CaseResult(sentences / seconds, ProcessMemory.PeakMegabytes, 0)));
        return 0;
    }
}
