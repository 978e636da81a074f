package netc.onnx;

import java.util.List;

/**
 * How images are prepared for an imported model, when its ONNX graph does not say: the per-channel
 * mean and std its training normalized inputs with, and the size their shorter side was resized to
 * before the center crop (torchvision's {@code Resize(256)}, {@code CenterCrop(224)}). A model exported
 * from torchvision takes normalized tensors; compiled without this, its jar would feed images to it as
 * pixels in [0, 1] and answer wrongly without a word. With it, the spec's {@code input(...)} carries them,
 * the normalization folds into the first conv, and the jar takes pixels in [0, 1] and prepares images as
 * the model was trained. {@code resize} 0: none given (the image is resized to the input size); -1: the
 * input size x 8/7, torchvision's ratio ({@code --imagenet}). {@code origin} names the options that
 * gave it, for the spec's comment and the messages.
 */
public record InputPreparation(List<Double> mean, List<Double> std, int resize, String origin, String where) {
  /** Nothing given: the input line as the ONNX graph implies it. */
  public static final InputPreparation NONE = new InputPreparation(null, null, 0, null);

  /** torchvision's ImageNet preparation: its mean and std, and a resize of the input size x 8/7 (256 for 224). */
  public static InputPreparation imagenet() {
    return new InputPreparation(List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225), -1, "--imagenet");
  }

  /** Given on the command line ({@code where}: "on the command line", as the spec's comment says it). */
  public InputPreparation(List<Double> mean, List<Double> std, int resize, String origin) {
    this(mean, std, resize, origin, "on the command line");
  }

  public InputPreparation {
    if ((mean == null) != (std == null)) throw new IllegalArgumentException("mean and std go together");
    if (mean != null && mean.size() != std.size()) throw new IllegalArgumentException("mean and std differ in length");
    mean = mean == null ? null : List.copyOf(mean);
    std = std == null ? null : List.copyOf(std);
  }

  /** The option that gave the normalization ("--imagenet", "--mean/--std", or their spelling elsewhere), for messages about it. */
  public String normalizationOrigin() {
    if (origin == null) return "--mean/--std";
    return origin.contains("imagenet") ? origin : origin.split(", ")[0];
  }

  /** The option that gave the resize ("--resize", "&lt;resize&gt;", or --imagenet's spelling), for messages about it. */
  public String resizeOrigin() {
    if (origin != null) {
      for (String part : origin.split(", ")) if (part.contains("resize") || part.contains("imagenet")) return part.split(" ")[0];
    }
    return "--resize";
  }

  /**
   * The preparation options as a tool takes them, each null (or false) where not given: {@code imagenet}, or a
   * {@code mean} and {@code std} of comma-separated values and a {@code resize}, checked. {@code spelled} gives an
   * option's name as its user writes it ("--mean", "&lt;mean&gt;"); {@code where} says where they were given.
   *
   * @throws IllegalArgumentException saying what is wrong, in the options' own spelling
   */
  public static InputPreparation parse(boolean imagenet, String mean, String std, String resize, java.util.function.UnaryOperator<String> spelled,
      String where) {
    if (imagenet && (mean != null || std != null || resize != null)) {
      throw new IllegalArgumentException(spelled.apply("imagenet") + " sets the mean, std and resize itself: give it alone, or give those three instead");
    }
    if ((mean == null) != (std == null)) throw new IllegalArgumentException(spelled.apply("mean") + " and " + spelled.apply("std") + " go together");
    if (imagenet) {
      InputPreparation i = imagenet();
      return new InputPreparation(i.mean(), i.std(), i.resize(), spelled.apply("imagenet"), where);
    }
    List<Double> m = mean == null ? null : channelValues(mean, spelled.apply("mean")), s = std == null ? null : channelValues(std, spelled.apply("std"));
    if (m != null && m.size() != s.size()) {
      throw new IllegalArgumentException(spelled.apply("mean") + " has " + m.size() + " values and " + spelled.apply("std") + " " + s.size()
          + ": one each per channel");
    }
    if (s != null) for (double v : s) if (!((float) v > 0)) throw new IllegalArgumentException(spelled.apply("std") + ": " + v + " is not positive (as a float32)");
    int pixels = 0;
    if (resize != null) {
      try {
        pixels = Integer.parseInt(resize.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(spelled.apply("resize") + " expects a number of pixels, got '" + resize + "'");
      }
      if (pixels < 1) throw new IllegalArgumentException(spelled.apply("resize") + " must be a positive number of pixels");
    }
    List<String> given = new java.util.ArrayList<>();
    if (m != null) given.add(spelled.apply("mean") + "/" + spelled.apply("std"));
    if (pixels > 0) given.add(spelled.apply("resize") + " " + pixels);
    return new InputPreparation(m, s, pixels, String.join(", ", given), where);
  }

  private static List<Double> channelValues(String text, String option) {
    List<Double> values = new java.util.ArrayList<>();
    for (String part : text.split(",", -1)) {
      double v;
      try {
        v = Double.parseDouble(part.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + " expects numbers separated by commas (0.485,0.456,0.406), got '" + text + "'");
      }
      // the spec holds them as float32: a value finite as a double may not be one as a float
      if (!Float.isFinite((float) v)) throw new IllegalArgumentException(option + ": " + part.strip() + " is not a finite float32 number");
      values.add(v);
    }
    return values;
  }

  public boolean normalizes() {
    return mean != null;
  }

  public boolean isNone() {
    return mean == null && resize == 0;
  }
}
