package netc.ir;

/** What a node computes. One node type with an op enum keeps rewrites uniform. */
public enum Op {
  INPUT("input"),
  CONV("conv"),
  BATCHNORM("batchnorm"),
  /** Normalizes each pixel over its channels (mean 0, variance 1, then weight and bias a channel): ConvNeXt's LayerNorm2d. */
  LAYERNORM("layernorm"),
  RELU("relu"),
  SIGMOID("sigmoid"),
  TANH("tanh"),
  LEAKY_RELU("leaky_relu"),
  /** Clamps to [min, max]; a bound left out is unbounded. */
  CLIP("clip"),
  /** x sigmoid(x) (SiLU, swish: EfficientNet). */
  SILU("silu"),
  /** torch's hardsigmoid: min(max(x / 6 + 1/2, 0), 1) (MobileNetV3's gates). */
  HARDSIGMOID("hardsigmoid"),
  /** torch's hardswish: x hardsigmoid(x) (MobileNetV3). */
  HARDSWISH("hardswish"),
  /** torch's gelu (exact, not the tanh approximation): x (1 + erf(x / sqrt(2))) / 2 (ConvNeXt). */
  GELU("gelu"),
  ADD("add"),
  /** Multiplies each channel of its first input [C, H, W] by its second's value [C, 1, 1]: a squeeze-and-excitation. */
  GATE("gate"),
  /** Joins two or more feature maps of one height and width along channels, in input order. */
  CONCAT("concat"),
  MAXPOOL("maxpool"),
  AVGPOOL("avgpool"),
  GLOBAL_AVGPOOL("global_avgpool"),
  FLATTEN("flatten"),
  FC("fc"),
  SOFTMAX("softmax"),
  /** Adds zero rows and columns around the feature map: [top, left, bottom, right]. */
  PAD("pad"),
  /** Channels [start, end) of a feature map (ShuffleNetV2's split of its input in halves). */
  CHANNELS("channels"),
  /** torch's channel_shuffle: channel j of group i moves to j * groups + i (ShuffleNet). */
  CHANNEL_SHUFFLE("channel_shuffle"),
  /**
   * Channels picked from one or more feature maps of one height and width, in runs (see {@link
   * ChannelRuns}). Not in the language: compose-gathers writes the channel moves of a chain
   * (channels, channel_shuffle, concat) as one.
   */
  GATHER("gather"),
  /** Changes the physical layout of a tensor (inserted by layout assignment); logically the identity. */
  REORDER("reorder");

  private final String spelling;

  Op(String spelling) {
    this.spelling = spelling;
  }

  /** The name used in specs and in the IR text form. */
  public String spelling() {
    return spelling;
  }

  public boolean isActivation() {
    return this == RELU || this == SIGMOID || this == TANH || this == LEAKY_RELU || this == CLIP || this == SILU || this == HARDSIGMOID
        || this == HARDSWISH || this == GELU;
  }
}
