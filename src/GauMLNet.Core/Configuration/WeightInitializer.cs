namespace GauMLNet.Configuration;

/// <summary>How a freshly built encoder's matrices are drawn. Scales (γ) start at 1 and offsets at 0 under all three.</summary>
public enum WeightInitializer
{
    /// <summary>GAU-α's: truncated normal (±2σ), σ = 1.13684723/√fan_in · L^(-1/3). The constant undoes the truncation's shrinkage.</summary>
    GauAlpha,
    /// <summary>N(0, 0.02), as in the FLASH paper's code.</summary>
    Normal002,
    /// <summary>LeCun normal: N(0, 1/fan_in).</summary>
    LecunNormal,
}
