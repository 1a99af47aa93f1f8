using System.CommandLine;
using GauMLNet.Cli.Failures;

namespace GauMLNet.Cli.Commands;

/// <summary>gau train: fine-tune (or train from scratch) on a CLUE task folder or a data file (CSV, TSV, JSON lines).</summary>
internal static class TrainCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var task = CommonOptions.Task(required: false);
        var data = CommonOptions.RequiredPath("--data",
            "the task's folder: train.json / dev.json (CLUE) or train_few_all.json / dev_few_all.json (FewCLUE); or a data file: .csv, .tsv or .jsonl (docs/data-files.md)");
        var file = new DataFileOptions();
        var kind = new Option<string?>("--kind") { Description = "data file: classification, pair or similarity (default: inferred; a pair with fractional number labels is similarity)" };
        var dev = new Option<string?>("--dev") { Description = "data file: a dev file of the same columns, scored after every epoch" };
        var devFraction = new Option<double?>("--dev-fraction") { Description = "data file: hold out this fraction of the rows as the dev set (drawn with --seed)" };
        var model = new Option<string?>("--model") { Description = "a checkpoint directory to fine-tune (config.json + model.safetensors + vocab.txt)" };
        var config = new Option<string>("--config") { Description = "from scratch: tiny, small, base or a config.json", DefaultValueFactory = _ => "tiny" };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 3 };
        var batch = CommonOptions.FineTuningBatchSize();
        var maxLength = new Option<int>("--max-length") { Description = "tokens per row including [CLS]/[SEP]; longer rows are truncated and counted", DefaultValueFactory = _ => 128 };
        var lr = CommonOptions.LearningRate("--model");
        var warmup = new Option<double>("--warmup") { Description = "the fraction of steps over which the learning rate rises linearly from 0 (default 0: GAU-α needs no warmup)" };
        var weightAverage = new Option<double?>("--weight-average") { Description = "keep an exponential moving average of the weights with this decay per step (e.g. 0.999); validation scores it and the model is it" };
        var maxGradNorm = new Option<double>("--max-grad-norm") { Description = "clip the global gradient norm to this (0: no clipping)", DefaultValueFactory = _ => 1.0 };
        var outputDir = new Option<string>("--output") { Description = "where model.zip, metrics.json, the curve and checkpoints go", DefaultValueFactory = _ => "gau-output" };
        var device = CommonOptions.Device();
        var threads = new Option<int>("--threads") { Description = "CPU threads for libtorch (0: its default)" };
        var seed = new Option<int>("--seed");
        var resume = new Option<bool>("--resume") { Description = "continue from the last completed epoch's checkpoint in --output (same arguments and data)" };
        var skipBad = new Option<bool>("--skip-bad-lines") { Description = "skip and count malformed lines instead of stopping at the first" };
        var patience = new Option<int?>("--patience") { Description = "stop after this many epochs without a better dev score" };
        var encoding = CommonOptions.Encoding();
        var checkpointing = CommonOptions.GradientCheckpointing();
        var precision = CommonOptions.InferencePrecision();
        var trainingPrecision = CommonOptions.TrainingPrecision();
        var forcePrecision = CommonOptions.ForcePrecision();
        var head = new Option<string>("--head") { Description = "cluener only: global-pointer (best on CLUENER dev), crf or softmax", DefaultValueFactory = _ => "global-pointer" };
        var maxAnswer = new Option<int>("--max-answer-length") { Description = "cmrc2018 only: the longest answer, in characters", DefaultValueFactory = _ => 256 };
        var stride = new Option<int>("--document-stride") { Description = "cmrc2018 only: context tokens between the starts of consecutive windows", DefaultValueFactory = _ => 128 };
        var overlap = new Option<bool>("--mark-question-overlap") { Description = "cmrc2018 only: mark context characters in a character pair the question also holds (a third segment)" };
        var answerless = new Option<bool>("--train-windows-without-answer") { Description = "cmrc2018 only: also train the windows that hold none of the answer, pointing at [CLS]" };
        var pretrainSteps = new Option<long>("--pretrain-steps") { Description = "cmrc2018 only, from scratch: masked-LM steps on the training contexts and questions before fine-tuning (OUTPUT/pretrained)" };
        var pretrainLength = new Option<int>("--pretrain-max-length") { Description = "cmrc2018 only: tokens per masked-LM sequence of --pretrain-steps (shorter trains faster; RoPE carries to longer inputs)", DefaultValueFactory = _ => 256 };
        var pretrainRate = new Option<double>("--pretrain-learning-rate") { Description = "cmrc2018 only: LAMB's learning rate for --pretrain-steps", DefaultValueFactory = _ => QuestionRun.QuestionSettings.Default.PretrainLearningRate };
        var pretrainSpan = new Option<int>("--pretrain-max-span-length") { Description = "cmrc2018 only: mask runs of up to this many adjacent characters in --pretrain-steps (SpanBERT; 1: characters one by one)", DefaultValueFactory = _ => QuestionRun.QuestionSettings.Default.PretrainMaxSpanLength };
        var oversample = new Option<string?>("--oversample") { Description = "cmrc2018 only: ID_PREFIX=TIMES trains each question whose id starts with ID_PREFIX TIMES times per epoch (e.g. TRIAL=3: train.json's CMRC 2018 questions)" };
        var cloze = new Option<int>("--cloze-questions") { Description = "cmrc2018 only: before the real questions, train on up to this many cloze questions made from each training context (OUTPUT/cloze)" };
        var clozeEpochs = new Option<int>("--cloze-epochs") { Description = "cmrc2018 only: epochs over the cloze questions of --cloze-questions", DefaultValueFactory = _ => QuestionRun.QuestionSettings.Default.ClozeEpochs };
        var members = new Option<int>("--members") { Description = "cmrc2018 only: train the whole recipe this many times (seeds --seed, --seed + 1, …; OUTPUT/member-K) and save one model.zip that averages their start and end logits", DefaultValueFactory = _ => 1 };
        var pooling = new Option<string?>("--pooling") { Description = "classification and pairs: what the classifier reads, first (the [CLS] state, default) or mean (of the real tokens' states; for long documents)" };
        var attention = CommonOptions.Attention();
        var chunkSize = CommonOptions.ChunkSize();
        var command = new Command("train", "Train a GAU-α classifier on a CLUE task or a data file; writes model.zip, metrics.json and training-curve.png.")
        {
            kind, dev, devFraction,
            task, data, model, config, epochs, batch, maxLength, lr, warmup, weightAverage, maxGradNorm, outputDir, device, threads, seed, resume, skipBad, patience, encoding,
            precision, checkpointing, trainingPrecision, forcePrecision, head, maxAnswer, stride, overlap, answerless, pretrainSteps, pretrainLength,
            pretrainRate, pretrainSpan, oversample, cloze, clozeEpochs, members, attention, chunkSize, pooling,
        };
        foreach (var option in file.All()) command.Options.Add(option);
        command.SetAction(r => CommandGuard.Run(r, error, () =>
        {
            bool dataFile = DataFileOptions.IsDataFile(r.GetValue(data)!);
            if (!dataFile && r.GetValue(task) is null)
                throw new UsageException("train needs --task with a CLUE folder as --data, or a data file (.csv, .tsv, .jsonl) as --data.");
            if (!dataFile && (file.AnyGiven(r) || r.GetValue(kind) is not null || r.GetValue(dev) is not null || r.GetValue(devFraction) is not null))
                throw new UsageException("--text-column, --text-pair-column, --label-column, --header, --kind, --dev and --dev-fraction read a data file; --data is a folder.");
            var settings = new TrainingRun.Settings(
                r.GetValue(task) ?? "", r.GetValue(data)!, r.GetValue(outputDir)!, r.GetValue(model), r.GetValue(config)!,
                r.GetValue(epochs), r.GetValue(batch), r.GetValue(maxLength), r.GetValue(lr), r.GetValue(device)!, r.GetValue(threads),
                r.GetValue(seed), r.GetValue(resume), r.GetValue(skipBad), r.GetValue(patience), r.GetValue(precision)!,
                r.GetValue(checkpointing), r.GetValue(maxGradNorm), r.GetValue(encoding), r.GetValue(trainingPrecision)!, r.GetValue(forcePrecision),
                r.GetValue(attention), r.GetValue(chunkSize), Arguments.Pooling(r.GetValue(pooling)), r.GetValue(warmup),
                r.GetValue(weightAverage));
            if (dataFile)
            {
                var columns = new Tabular.TabularColumns(r.GetValue(file.Text) ?? "text", r.GetValue(file.TextPair), r.GetValue(file.Label) ?? "label");
                return DataFileRun.Train(settings, new DataFileRun.FileSettings(columns, r.GetValue(kind), file.HasHeader(r), r.GetValue(dev), r.GetValue(devFraction)), output);
            }
            var questionSettings = new QuestionRun.QuestionSettings(r.GetValue(maxAnswer), r.GetValue(stride), r.GetValue(overlap), r.GetValue(pretrainSteps), r.GetValue(pretrainLength),
                r.GetValue(answerless), r.GetValue(pretrainRate), r.GetValue(pretrainSpan), r.GetValue(oversample), r.GetValue(cloze), r.GetValue(clozeEpochs), r.GetValue(members));
            if (settings.Pooling is not null && (QuestionRun.IsQuestionTask(settings.TaskName) || EntityRun.IsEntityTask(settings.TaskName)))
                throw new UsageException("--pooling is for classification and pair tasks: cmrc2018 and cluener read every token.");
            if (QuestionRun.IsQuestionTask(settings.TaskName)) return QuestionRun.Train(settings, questionSettings, output);
            if (questionSettings != QuestionRun.QuestionSettings.Default)
                throw new UsageException("--max-answer-length, --document-stride, --mark-question-overlap, --train-windows-without-answer, --pretrain-steps, --pretrain-max-length, --pretrain-learning-rate, --pretrain-max-span-length, --oversample, --cloze-questions, --cloze-epochs and --members are for --task cmrc2018.");
            return EntityRun.IsEntityTask(settings.TaskName)
                ? EntityRun.Train(settings, EntityRun.ParseHead(r.GetValue(head)!), output)
                : TrainingRun.Run(settings, output);
        }));
        return command;
    }
}
