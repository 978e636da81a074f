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
public record InputPreparation(List<Double> mean, List<Double> std, int resize, String origin) {
  /** Nothing given: the input line as the ONNX graph implies it. */
  public static final InputPreparation NONE = new InputPreparation(null, null, 0, null);

  /** torchvision's ImageNet preparation: its mean and std, and a resize of the input size x 8/7 (256 for 224). */
  public static InputPreparation imagenet() {
    return new InputPreparation(List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225), -1, "--imagenet");
  }

  public InputPreparation {
    if ((mean == null) != (std == null)) throw new IllegalArgumentException("mean and std go together");
    if (mean != null && mean.size() != std.size()) throw new IllegalArgumentException("mean and std differ in length");
    mean = mean == null ? null : List.copyOf(mean);
    std = std == null ? null : List.copyOf(std);
  }

  /** The option that gave the normalization, for messages about it. */
  public String normalizationOrigin() {
    return "--imagenet".equals(origin) ? "--imagenet" : "--mean/--std";
  }

  public boolean normalizes() {
    return mean != null;
  }

  public boolean isNone() {
    return mean == null && resize == 0;
  }
}
