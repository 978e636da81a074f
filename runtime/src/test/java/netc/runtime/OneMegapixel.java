package netc.runtime;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The image fuzz harnesses' pixel limit, {@code @ExtendWith(OneMegapixel.class)}: a header may claim up
 * to the default 50 megapixels, which the decoder then allocates before it finds the rows missing:
 * legitimate, but slow for a fuzzer. One megapixel keeps every limit path reachable (the side limit
 * stays at its default, so extreme aspect ratios are still fuzzed). Set for the class's run only and
 * put back after it: the classes that run after it in the JVM see the default.
 */
final class OneMegapixel implements BeforeAllCallback, AfterAllCallback {
  private static final ExtensionContext.Namespace HERE = ExtensionContext.Namespace.create(OneMegapixel.class);
  private static final String BEFORE = "maxPixels before";

  @Override
  public void beforeAll(ExtensionContext context) {
    String before = System.setProperty(ImageLimits.MAX_PIXELS_PROPERTY, "1000000");
    if (before != null) context.getStore(HERE).put(BEFORE, before);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    String before = context.getStore(HERE).remove(BEFORE, String.class);
    if (before == null) System.clearProperty(ImageLimits.MAX_PIXELS_PROPERTY);
    else System.setProperty(ImageLimits.MAX_PIXELS_PROPERTY, before);
  }
}
