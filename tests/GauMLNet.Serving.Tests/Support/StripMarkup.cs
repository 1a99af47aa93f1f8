using System.Text.RegularExpressions;
using Microsoft.ML.Transforms;

namespace GauMLNet.Serving.Tests.Support;

/// <summary>
/// An application's own text normalisation as an ML.NET CustomMapping: RawText with markup → Sentence without it
/// (tags dropped, full-width forms folded, whitespace removed). Loading a model that holds it needs this assembly registered.
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed partial class StripMarkup : CustomMappingFactory<StripMarkup.Raw, StripMarkup.Clean>
{
    public const string ContractName = "GauMLNet.Serving.Tests.StripMarkup";

    public static string Normalize(string text) =>
        string.Concat(Tags().Replace(text, "").Normalize(System.Text.NormalizationForm.FormKC).Where(c => !char.IsWhiteSpace(c)));

    public override Action<Raw, Clean> GetMapping() => static (input, output) => output.Sentence = Normalize(input.RawText);

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tags();

    public sealed class Raw
    {
        public string RawText { get; set; } = "";
    }

    public sealed class Clean
    {
        public string Sentence { get; set; } = "";
    }
}
