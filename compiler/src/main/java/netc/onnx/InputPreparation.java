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
 * input size x 8/7, torchvision's ratio ({@code --imagenet}). {@code normalizedBy} and {@code resizedBy}
 * name the options that gave the normalization and the resize as their user spelled them ("--mean/--std",
 * "&lt;resize&gt;", "--imagenet"), null where not given; {@code bicubicBy} the option that asked for the
 * bicubic filter ("--bicubic"; torchvision's EfficientNet weights), null for the bilinear default;
 * {@code where} says where they were given. They make the spec's comment and the messages.
 */
public record InputPreparation(List<Double> mean, List<Double> std, int resize, String normalizedBy, String resizedBy, String bicubicBy,
    String where) {
  /** Nothing given: the input line as the ONNX graph implies it. */
  public static final InputPreparation NONE = new InputPreparation(null, null, 0, null, null, null, "on the command line");

  /** torchvision's ImageNet preparation: its mean and std, and a resize of the input size x 8/7 (256 for 224). */
  public static InputPreparation imagenet() {
    return imagenet("--imagenet", null, "on the command line");
  }

  private static InputPreparation imagenet(String spelled, String bicubicBy, String where) {
    return new InputPreparation(List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225), -1, spelled, spelled, bicubicBy, where);
  }

  public InputPreparation {
    if ((mean == null) != (std == null)) throw new IllegalArgumentException("mean and std go together");
    if (mean != null && mean.size() != std.size()) throw new IllegalArgumentException("mean and std differ in length");
    mean = mean == null ? null : List.copyOf(mean);
    std = std == null ? null : List.copyOf(std);
  }

  /** The options that gave this preparation, as the spec's comment names them: "--imagenet", "--mean/--std, --resize 256, --bicubic". */
  public String origin() {
    List<String> given = new java.util.ArrayList<>();
    if (normalizedBy != null && normalizedBy.equals(resizedBy)) {
      given.add(normalizedBy);
    } else {
      if (normalizedBy != null) given.add(normalizedBy);
      if (resizedBy != null) given.add(resizedBy + (resize > 0 ? " " + resize : ""));
    }
    if (bicubicBy != null) given.add(bicubicBy);
    return String.join(", ", given);
  }

  /** Whether images are resized with the bicubic filter (the spec's {@code bicubic = true}). */
  public boolean bicubic() {
    return bicubicBy != null;
  }

  /** The option that gave the normalization, for messages about it ("--mean/--std" if none did). */
  public String normalizationOrigin() {
    return normalizedBy != null ? normalizedBy : "--mean/--std";
  }

  /** The option that gave the resize, for messages about it ("--resize" if none did). */
  public String resizeOrigin() {
    return resizedBy != null ? resizedBy : "--resize";
  }

  /**
   * The preparation options as a tool takes them, each null (or false) where not given: {@code imagenet}, or a
   * {@code mean} and {@code std} of comma-separated values and a {@code resize}, checked; and {@code bicubic}, with
   * either. {@code spelled} gives an option's name as its user writes it ("--mean", "&lt;mean&gt;"); {@code where}
   * says where they were given.
   *
   * @throws IllegalArgumentException saying what is wrong, in the options' own spelling
   */
  public static InputPreparation parse(boolean imagenet, String mean, String std, String resize, boolean bicubic,
      java.util.function.UnaryOperator<String> spelled, String where) {
    String bicubicBy = bicubic ? spelled.apply("bicubic") : null;
    if (imagenet && (mean != null || std != null || resize != null)) {
      throw new IllegalArgumentException(spelled.apply("imagenet") + " sets the mean, std and resize itself: give it alone, or give those three instead");
    }
    if ((mean == null) != (std == null)) throw new IllegalArgumentException(spelled.apply("mean") + " and " + spelled.apply("std") + " go together");
    if (imagenet) return imagenet(spelled.apply("imagenet"), bicubicBy, where);
    List<Double> m = mean == null ? null : channelValues(mean, spelled.apply("mean")), s = std == null ? null : channelValues(std, spelled.apply("std"));
    if (m != null && m.size() != s.size()) {
      throw new IllegalArgumentException(spelled.apply("mean") + " has " + m.size() + " values and " + spelled.apply("std") + " " + s.size()
          + ": one each per channel");
    }
    // as the spec's input(...) refuses it, but said of the option given rather than of the imported spec's line
    for (double v : s == null ? List.<Double>of() : s) {
      String problem = netc.ir.GraphBuilder.stdProblem(v);
      if (problem != null) throw new IllegalArgumentException(spelled.apply("std") + ": " + v + " " + problem);
    }
    int pixels = 0;
    if (resize != null) {
      try {
        pixels = Integer.parseInt(resize.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(spelled.apply("resize") + " expects a number of pixels, got '" + resize + "'");
      }
      if (pixels < 1) throw new IllegalArgumentException(spelled.apply("resize") + " must be a positive number of pixels");
    }
    return new InputPreparation(m, s, pixels, m == null ? null : spelled.apply("mean") + "/" + spelled.apply("std"),
        pixels > 0 ? spelled.apply("resize") : null, bicubicBy, where);
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
    return mean == null && resize == 0 && bicubicBy == null;
  }
}
