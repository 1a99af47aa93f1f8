using System.CommandLine;
using GauMLNet.Cli.Failures;
using GauMLNet.Clue;
using Microsoft.ML;

namespace GauMLNet.Cli.Commands;

/// <summary>
/// gau quickstart: the main job on a fresh clone. Trains a small GAU-α from scratch on the bundled sentiment
/// data, evaluates it on dev, saves the model, predicts a few new sentences and writes the training curve.
/// The data is the repository's samples/data/sentiment, or the copy the gau tool carries when that folder is absent.
/// </summary>
internal static class QuickStartCommand
{
    private static readonly string[] Sentences =
    [
        "这个耳机音质很好，物流也很快，非常满意！",
        "衣服收到了，做工粗糙，跟描述不符，很失望。",
        "收到的台灯，虽然包装破损，但是质量很好",
        "第一次买这个牌子的键盘，用了两天就坏了",
    ];

    /// <summary>samples/data/sentiment under the current directory (a clone), else the copy beside gau (the .NET tool).</summary>
    internal static string BundledData
    {
        get
        {
            string here = Path.Combine("samples", "data", "sentiment");
            string installed = Path.Combine(AppContext.BaseDirectory, "data", "sentiment");
            return Directory.Exists(here) || !Directory.Exists(installed) ? here : installed;
        }
    }

    public static Command Create(TextWriter output, TextWriter error)
    {
        var data = new Option<string>("--data")
        {
            Description = "the sentiment data (default: samples/data/sentiment here, else the copy installed with gau)",
            DefaultValueFactory = _ => BundledData,
        };
        var outputDir = new Option<string>("--output") { DefaultValueFactory = _ => "quickstart-output" };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 4 };
        var config = new Option<string>("--config") { Description = "tiny, small or base", DefaultValueFactory = _ => "small" };
        var command = new Command("quickstart",
            "Train a small GAU-α (config small, 4 epochs, 1,200 rows) from scratch on the bundled sentiment data, evaluate, save, reload and predict " +
            "(about 20 s of training on 2 cores, plus start-up).")
        {
            data, outputDir, epochs, config,
        };
        command.SetAction(r => CommandGuard.Run(r, error, () =>
        {
            var task = ClueTask.Get("eprstmt");
            string outDir = r.GetValue(outputDir)!;
            int code = TrainingRun.Run(new TrainingRun.Settings(task.Name, r.GetValue(data)!, outDir, ModelDirectory: null, ConfigName: r.GetValue(config)!,
                Epochs: r.GetValue(epochs), BatchSize: 32, MaxLength: 64, LearningRate: null, Device: "auto", Threads: 0, Seed: 0,
                Resume: false, SkipBadLines: false, Patience: null), output);
            if (code != 0) return code;

            var ml = new MLContext();
            var model = TrainingRun.LoadModel(ml, outDir); // reload from model.zip, as a serving process would
            output.WriteLine("predictions of the reloaded model:");
            foreach (var (sentence, label) in PredictCommand.PredictSentences(ml, model, task, Sentences))
                output.WriteLine($"  {label,-8} {sentence}");
            return 0;
        }));
        return command;
    }
}
