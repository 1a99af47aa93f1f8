using Microsoft.ML;

namespace GauMLNet.Experiments;

/// <summary>
/// One pipeline a <see cref="PipelineSelection"/> may choose: an ordinary ML.NET estimator chain from
/// <see cref="Clue.ClueExample"/> rows (Sentence1, Sentence2 for pairs, Label as text) to PredictedLabel (text) and Score.
/// </summary>
/// <param name="Name">short and unique: the leaderboard's key</param>
/// <param name="Cost">how dear it is to train and serve, 0 the cheapest: among candidates within one standard deviation of
/// the best mean the cheapest is chosen</param>
/// <param name="Description">what the chain is, for the leaderboard</param>
/// <param name="Estimator">a fresh chain for each fit; the token fires when the budget runs out</param>
public sealed record PipelineCandidate(string Name, int Cost, string Description, Func<CancellationToken, IEstimator<ITransformer>> Estimator);
