package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.MemoryCacheImageInputStream;
import netc.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Image input against torchvision: the fixtures (weights/make_image_fixtures.py) hold synthetic PNGs
 * and torchvision's Resize, CenterCrop, ToTensor of the PIL-loaded image. The bar is equality, to the
 * bit: Pillow's resampling is fixed-point integer arithmetic, which netc reproduces, and ToTensor's
 * float32 division by 255 is correctly rounded, so there is nothing for a tolerance to absorb (a bar
 * of 1/255 would pass a division by 256, which is off by up to 1/255).
 */
class PreprocessTest {
  static final Path IMAGES = Path.of("../weights/fixtures/images");

  static double maxDiff(float[] a, float[] b) {
    assertEquals(a.length, b.length);
    double m = 0;
    for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
  }

  @ParameterizedTest
  @ValueSource(strings = {"rgb_wide", "rgb_tall", "gray", "rgba", "palette"})
  void matchesTorchvisionExactly(String name) {
    float[] x = new Preprocess(80, 64).image(IMAGES.resolve(name + ".png"));
    float[] expected = Npy.read(IMAGES.resolve(name + "_r80_c64.npy")).data();
    double d = maxDiff(expected, x);
    assertArrayEquals(expected, x, name + ": max difference " + d * 255 + "/255");
  }

  /**
   * torchvision's Resize(size, interpolation=BICUBIC) (its EfficientNet weights' preparation) on PIL
   * images: shrinking to 80 and enlarging rgb_tall's 157-pixel side to 256, where the filter's negative
   * lobes overshoot and each pass clips to [0, 255]. Equal to the last bit, as the bilinear filter is.
   */
  @ParameterizedTest
  @ValueSource(strings = {"rgb_wide_r80_c64", "rgb_tall_r80_c64", "rgb_tall_r256_c224"})
  void bicubicMatchesTorchvisionExactly(String fixture) {
    String[] parts = fixture.split("_r|_c");
    Preprocess pre = new Preprocess(Integer.parseInt(parts[1]), Integer.parseInt(parts[2]), Preprocess.Interpolation.BICUBIC);
    float[] x = pre.image(IMAGES.resolve(parts[0] + ".png"));
    float[] expected = Npy.read(IMAGES.resolve(fixture + "_bicubic.npy")).data();
    assertArrayEquals(expected, x, fixture + ": max difference " + maxDiff(expected, x) * 255 + "/255");
    float[] bilinear = new Preprocess(pre.resize(), pre.crop()).image(IMAGES.resolve(parts[0] + ".png"));
    assertTrue(maxDiff(expected, bilinear) > 2 / 255.0, fixture + ": the bilinear filter gives other values (the fixture tells them apart)");
  }

  /**
   * A null argument is refused by its name, as predict refuses a null input ("input: null"): it was the JDK's
   * NullPointerException naming a field inside ("Cannot read the array length because \"encoded\" is null").
   */
  @Test
  void nullArgumentsAreRefusedByName() {
    Preprocess pre = new Preprocess(8, 8);
    java.util.Map<String, org.junit.jupiter.api.function.Executable> calls = new java.util.LinkedHashMap<>();
    calls.put("file", () -> pre.image((Path) null));
    calls.put("encoded", () -> pre.image((byte[]) null, "x"));
    calls.put("encoded ", () -> pre.image((java.io.InputStream) null, "x"));
    calls.put("image", () -> pre.image((BufferedImage) null, "x"));
    calls.put("file ", () -> pre.frame((Path) null, "nv12", 4, 2));
    calls.put("data", () -> pre.frame((byte[]) null, "nv12", 4, 2, "cam"));
    calls.put("rgb", () -> pre.tensor(null, "x"));
    calls.put("pixels", () -> new Preprocess.Rgb(2, 2, null));
    calls.put("argb", () -> Preprocess.Rgb.fromArgb(null, 2, 2));
    calls.put("bgr", () -> Preprocess.Rgb.fromBgr(null, 2, 2));
    calls.put("jar", () -> CompiledModel.load((Path) null, 1));
    calls.put("jar ", () -> CompiledModel.load((Path) null, "m", 1));
    calls.put("loader", () -> CompiledModel.load((ClassLoader) null, 1));
    calls.put("loader ", () -> CompiledModel.load((ClassLoader) null, "m", 1));
    calls.put("model", () -> Preprocess.forModel(null));
    calls.put("logits", () -> Prediction.softmax(null, 0, 1));
    calls.put("logits ", () -> Prediction.topK(null, 0, 1, 1, java.util.List.of("a")));
    calls.put("labels", () -> Prediction.topK(new float[] {1}, 0, 1, 1, null));
    calls.put("shape", () -> new Tensor(null, new float[1]));
    calls.put("data ", () -> new Tensor(new int[] {1}, null));
    calls.put("shape ", () -> Tensor.zeros((int[]) null));
    calls.put("other", () -> Tensor.zeros(1).maxAbsDiff(null));
    // the name that messages give the image: "null: not a PNG or JPEG image" named nothing
    byte[] png = TestImages.png(TestImages.picture(4, 4));
    calls.put("name", () -> pre.image(png, null));
    calls.put("name ", () -> pre.image(new java.io.ByteArrayInputStream(png), null));
    calls.put(" name", () -> pre.image(new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB), null));
    calls.put(" name ", () -> pre.frame(new byte[12], "nv12", 4, 2, null));
    calls.put("  name", () -> pre.tensor(new Preprocess.Rgb(2, 2, new byte[12]), null));
    calls.put("  name ", () -> Preprocess.decode(png, null));
    for (var c : calls.entrySet()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c.getValue(), c.getKey());
      assertEquals(c.getKey().strip() + ": null", e.getMessage());
    }
  }

  @Test
  void imagenetSizes() {
    float[] x = new Preprocess(256, 224).image(IMAGES.resolve("rgb_wide.png"));
    float[] expected = Npy.read(IMAGES.resolve("rgb_wide_r256_c224.npy")).data();
    double d = maxDiff(expected, x);
    assertArrayEquals(expected, x, "max difference " + d * 255 + "/255");
  }

  /**
   * ToTensor's scale without mean/std normalization (Preprocess applies none): level 255 is exactly
   * 1.0f, 0 exactly 0.0f, 128 is 128/255f, in channel-major order. A uniform image resamples to
   * itself, so the crop holds the input levels.
   */
  @Test
  void fullScaleIsOneAndZeroIsZero() {
    int w = 7, h = 5, crop = 4;
    byte[] pixels = new byte[3 * w * h];
    for (int i = 0; i < w * h; i++) {
      pixels[3 * i] = (byte) 255;
      pixels[3 * i + 1] = 0;
      pixels[3 * i + 2] = (byte) 128;
    }
    float[] x = new Preprocess(6, crop).tensor(new Preprocess.Rgb(w, h, pixels), "uniform");
    assertEquals(3 * crop * crop, x.length);
    float[] expected = new float[3 * crop * crop];
    Arrays.fill(expected, 0, crop * crop, 1.0f);
    Arrays.fill(expected, 2 * crop * crop, 3 * crop * crop, 128 / 255f);
    assertArrayEquals(expected, x);
  }

  /**
   * JPEG decoders may differ by an IDCT rounding (both run libjpeg's integer IDCT here). Color JPEGs,
   * the usual input: baseline and progressive with 4:2:0 chroma, and 4:2:2, whose chroma the decoders
   * upsample (libjpeg's "fancy" triangle filter in ImageIO's libjpeg 6b and in the libjpeg-turbo under
   * Debian's PIL alike; 4:4:0, a 4:2:2 photo turned losslessly by 90 degrees, is not compared: by its
   * source libjpeg-turbo 1.5.1 and later interpolate its rows where 6b repeats them). Without a JFIF segment
   * and with component IDs 0, 1, 2, libjpeg guesses YCbCr where ImageIO read the unsubsampled one as RGB
   * (every color wrong): netc converts their samples itself, as libjpeg does (JpegMarkers.check), and so too with a
   * JFIF segment and an Adobe one of transform 0 (YCbCr to libjpeg, refused by ImageIO). CMYK: ImageIO
   * decodes it from Java 17.0.4 on (before, netc reads its raw samples), and the conversion to RGB is
   * netc's, Pillow's formula; the fixture's K is 0 throughout, where any rounding agrees. The bar for
   * both is a level in a few pixels: room for a decoder's rounding, none for a shift of every pixel.
   */
  @ParameterizedTest
  @ValueSource(strings = {"gray_jpeg", "cmyk_jpeg", "color_jpeg", "color_progressive_jpeg", "color_422_jpeg", "ids012_jpeg", "ids012_420_jpeg", "jfif_adobe0_jpeg"})
  void jpegsDecodeLikePil(String name) {
    Preprocess.Rgb rgb = Preprocess.decode(IMAGES.resolve(name + ".jpg"));
    float[] pil = Npy.read(IMAGES.resolve(name + "_rgb.npy")).data();
    assertEquals(pil.length, rgb.pixels().length);
    double sum = 0, max = 0;
    for (int i = 0; i < pil.length; i++) {
      double d = Math.abs((rgb.pixels()[i] & 0xff) - pil[i]);
      sum += d;
      max = Math.max(max, d);
    }
    assertTrue(sum / pil.length < 0.05, name + ": mean difference " + sum / pil.length + " levels");
    assertTrue(max <= 1, name + ": max difference " + max + " levels");
  }

  /**
   * A tables-only stream in front (SOI, a JFIF segment, EOI) says nothing of the image after it: libjpeg forgets
   * the JFIF segment at the next SOI and guesses YCbCr from the image's component IDs 0, 1, 2, as for the image alone
   * (the walk kept the flag, and ImageIO's reading as RGB was taken: every color wrong).
   */
  @Test
  void aTablesOnlyStreamsJfifSegmentDoesNotSpeakForTheImageAfterIt() throws IOException {
    byte[] image = java.nio.file.Files.readAllBytes(IMAGES.resolve("ids012_jpeg.jpg"));
    byte[] jfif = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
        (byte) 0xff, (byte) 0xd9};
    // and an Adobe segment (of transform 1, YCbCr) in the tables: forgotten the same way
    byte[] adobe = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 1,
        (byte) 0xff, (byte) 0xd9};
    for (byte[] tables : new byte[][] {jfif, adobe}) {
      byte[] both = java.util.Arrays.copyOf(tables, tables.length + image.length);
      System.arraycopy(image, 0, both, tables.length, image.length);
      assertArrayEquals(Preprocess.decode(image, "alone.jpg").pixels(), Preprocess.decode(both, "after-tables.jpg").pixels());
    }
  }

  /**
   * A read interrupted (a request cancelled with Future.cancel(true)) is a cancellation, the thread's interrupt
   * status kept: it was "cannot read (null)", a bad image a service would answer as the caller's mistake.
   */
  @Test
  void anInterruptedReadIsACancellationNotABadImage() throws IOException {
    Preprocess pre = new Preprocess(80, 64);
    Path jpeg = IMAGES.resolve("color_jpeg.jpg");
    try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(jpeg)) {
      Thread.currentThread().interrupt();
      try {
        java.util.concurrent.CancellationException e = assertThrows(java.util.concurrent.CancellationException.class,
            () -> pre.image(java.nio.channels.Channels.newInputStream(channel), "upload"));
        assertEquals("upload: reading was interrupted", e.getMessage());
        assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
      } finally {
        Thread.interrupted();
      }
    }
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(jpeg)) {
      assertEquals(3 * 64 * 64, pre.image(in, "upload").length, "and the next read works");
    }
  }

  /**
   * CMYK to RGB to the level as Pillow's cmyk2rgb computes it, nk - MULDIV255(c, nk) with nk = 255 - k:
   * flat blocks (which decode exactly) whose values a truncating (255 - c)(255 - k) / 255 gets one
   * lower. The file is Adobe's (inverted samples), as PIL reads it: stored 128, 60, 200, 253 is ink
   * 127, 195, 55, 2.
   */
  @Test
  void cmykConvertsAsPillowRoundsIt() {
    byte[] jpeg = TestImages.cmykJpeg(new int[][] {{128, 60, 200, 253}, {127, 128, 0, 64}}, 0);
    byte[] rgb = Preprocess.decode(jpeg, "cmyk.jpg").pixels();
    assertEquals(16 * 8 * 3, rgb.length);
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 16; x++) {
        int o = (y * 16 + x) * 3;
        int[] expected = x < 8 ? new int[] {127, 60, 198} : new int[] {32, 32, 0}; // truncated: 126, 59, 198 and 31, 32, 0
        assertArrayEquals(expected, new int[] {rgb[o] & 0xff, rgb[o + 1] & 0xff, rgb[o + 2] & 0xff}, "pixel " + x + "," + y);
      }
    }
  }

  /**
   * The fallback for a Java whose read(0) refuses CMYK (before 17.0.4): the raw raster of a CMYK JPEG
   * converts to the RGB the decoded image gives; a YCCK one (Adobe transform 2), whose raw raster holds
   * YCCK, is refused rather than taken for CMYK.
   */
  @Test
  void theRawCmykFallbackConvertsCmykAndRefusesYcck() throws IOException {
    int[][] blocks = {{128, 60, 200, 253}, {10, 20, 30, 40}};
    byte[] cmyk = TestImages.cmykJpeg(blocks, 0), ycck = TestImages.cmykJpeg(blocks, 2);
    javax.imageio.IIOException refused = new javax.imageio.IIOException("Unsupported Image Type");
    ImageReader reader = reader(cmyk);
    try {
      Preprocess.Rgb raw = Preprocess.toRgb(Preprocess.rawCmyk(reader, "cmyk.jpg", refused), null, "cmyk.jpg");
      assertArrayEquals(Preprocess.decode(cmyk, "cmyk.jpg").pixels(), raw.pixels());
    } finally {
      reader.dispose();
    }
    reader = reader(ycck);
    try {
      ImageReader r = reader;
      assertEquals("ycck.jpg: cannot decode image (a YCCK JPEG (Adobe color transform 2), which the JPEG decoder of Java "
          + System.getProperty("java.version") + " does not convert; Java 17.0.4 and later do)",
          assertThrows(BadInputException.class, () -> Preprocess.rawCmyk(r, "ycck.jpg", refused)).getMessage());
    } finally {
      reader.dispose();
    }
    assertEquals(16 * 8 * 3, Preprocess.decode(ycck, "ycck.jpg").pixels().length, "this Java's read(0) converts YCCK");
  }

  /**
   * A stream is read to its end, whatever its size up to the cap, and refused as soon as it passes the cap, having held
   * about the cap once: readNBytes(cap + 1) held it twice before refusing (a few concurrent uploads filled a heap).
   */
  @Test
  void aStreamIsRefusedAsSoonAsItPassesTheCap() {
    int max = 3 << 20;
    for (int size : new int[] {0, 1, 65535, 65536, 65537, 196608, max}) {
      byte[] data = new byte[size];
      for (int i = 0; i < size; i++) data[i] = (byte) (i * 31 + 7);
      assertArrayEquals(data, Preprocess.readAtMost(new ByteArrayInputStream(data), "s", max), "size " + size);
    }
    java.io.InputStream endless = new java.io.InputStream() {
      @Override
      public int read() {
        return 1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        java.util.Arrays.fill(b, off, off + len, (byte) 1);
        return len;
      }
    };
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    BadInputException e = assertThrows(BadInputException.class, () -> Preprocess.readAtMost(endless, "upload", max));
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertEquals("upload: more than " + max + " bytes: not read as an image", e.getMessage());
    assertTrue(allocated < max * 5L / 4, allocated + " bytes allocated to refuse a stream past " + max);
  }

  /**
   * A JPEG reader registered ahead of the JDK's (as TwelveMonkeys' imageio-jpeg registers itself) is passed over: the
   * decoding around the reader is written for the JDK's, and another reader's pixels came with no error.
   */
  @Test
  void theJdksReaderDecodesWhereAnotherIsRegisteredFirst() throws IOException {
    byte[] jpeg = java.nio.file.Files.readAllBytes(IMAGES.resolve("color_jpeg.jpg"));
    byte[] expected = Preprocess.decode(jpeg, "color_jpeg.jpg").pixels();
    javax.imageio.spi.IIORegistry registry = javax.imageio.spi.IIORegistry.getDefaultInstance();
    javax.imageio.spi.ImageReaderSpi jdk = ImageIO.getImageReadersByFormatName("jpeg").next().getOriginatingProvider();
    Other other = new Other();
    registry.registerServiceProvider(other, javax.imageio.spi.ImageReaderSpi.class);
    try {
      registry.setOrdering(javax.imageio.spi.ImageReaderSpi.class, other, jdk);
      assertEquals(other, ImageIO.getImageReadersByFormatName("jpeg").next().getOriginatingProvider(), "the other reader comes first");
      assertArrayEquals(expected, Preprocess.decode(jpeg, "color_jpeg.jpg").pixels());
    } finally {
      registry.deregisterServiceProvider(other, javax.imageio.spi.ImageReaderSpi.class);
    }
  }

  /** A JPEG reader that decodes nothing (any call to read fails). */
  static final class Other extends javax.imageio.spi.ImageReaderSpi {
    Other() {
      super("test", "1", new String[] {"jpeg", "JPEG"}, new String[] {"jpg"}, new String[] {"image/jpeg"}, "Other$Reader", new Class<?>[] {
          javax.imageio.stream.ImageInputStream.class}, null, false, null, null, null, null, false, null, null, null, null);
    }

    @Override
    public boolean canDecodeInput(Object source) {
      return true;
    }

    @Override
    public ImageReader createReaderInstance(Object extension) {
      return new ImageReader(this) {
        @Override
        public int getNumImages(boolean allowSearch) {
          return 1;
        }

        @Override
        public int getWidth(int imageIndex) {
          return 1;
        }

        @Override
        public int getHeight(int imageIndex) {
          return 1;
        }

        @Override
        public java.util.Iterator<javax.imageio.ImageTypeSpecifier> getImageTypes(int imageIndex) {
          return java.util.Collections.emptyIterator();
        }

        @Override
        public javax.imageio.metadata.IIOMetadata getStreamMetadata() {
          return null;
        }

        @Override
        public javax.imageio.metadata.IIOMetadata getImageMetadata(int imageIndex) {
          return null;
        }

        @Override
        public java.awt.image.BufferedImage read(int imageIndex, javax.imageio.ImageReadParam param) throws IOException {
          throw new IOException("the other reader decodes nothing");
        }
      };
    }

    @Override
    public String getDescription(java.util.Locale locale) {
      return "a JPEG reader ahead of the JDK's";
    }
  }

  private static ImageReader reader(byte[] jpeg) {
    ImageReader reader = ImageIO.getImageReadersByFormatName("jpeg").next();
    reader.setInput(new MemoryCacheImageInputStream(new ByteArrayInputStream(jpeg)), true, true);
    return reader;
  }

  /**
   * An embedded ICC profile (here linear RGB, in two APP2 segments) changes nothing: PIL's
   * convert("RGB") ignores it, where ImageIO's read converts the pixels from it to sRGB.
   */
  @Test
  void anEmbeddedColorProfileIsIgnoredAsPilIgnoresIt() throws IOException {
    for (boolean progressive : new boolean[] {false, true}) {
      byte[] plain = TestImages.jpeg(TestImages.picture(64, 48), progressive);
      byte[] tagged = TestImages.withIccProfile(plain, ICC_Profile.getInstance(ColorSpace.CS_LINEAR_RGB).getData(), 2);
      assertFalse(Arrays.equals(samples(plain), samples(tagged)), "ImageIO reads the profile and converts");
      assertArrayEquals(Preprocess.decode(plain, "plain.jpg").pixels(), Preprocess.decode(tagged, "tagged.jpg").pixels());
    }
  }

  /** The samples of ImageIO's own decoding. */
  private static int[] samples(byte[] jpeg) throws IOException {
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(jpeg));
    return img.getRaster().getPixels(0, 0, img.getWidth(), img.getHeight(), (int[]) null);
  }

  /** A resize below the crop would leave every image too small for it: refused when the preprocessing is made. */
  @Test
  void aResizeBelowTheCropIsRefused() {
    String msg = assertThrows(IllegalArgumentException.class, () -> new Preprocess(223, 224)).getMessage();
    assertEquals("a resize of 223 is smaller than the crop of 224: images are resized to that shorter side, then center-cropped to 224x224", msg);
    assertEquals(3 * 224 * 224, new Preprocess(224, 224).image(IMAGES.resolve("rgb_wide.png")).length);
  }

  @Test
  void badImagesGiveOneLineNamingTheFile() {
    String broken = assertThrows(BadInputException.class, () -> new Preprocess(256, 224).image(IMAGES.resolve("broken.png"))).getMessage();
    assertTrue(broken.startsWith(IMAGES.resolve("broken.png") + ": cannot decode image"), broken);
    String notImage = assertThrows(BadInputException.class, () -> new Preprocess(256, 224).image(IMAGES.resolve("gray_jpeg_rgb.npy"))).getMessage();
    assertEquals(IMAGES.resolve("gray_jpeg_rgb.npy") + ": not a PNG or JPEG image (unknown format)", notImage);
    String missing = assertThrows(BadInputException.class, () -> new Preprocess(256, 224).image(IMAGES.resolve("none.png"))).getMessage();
    assertEquals(IMAGES.resolve("none.png") + ": no such file", missing);
  }

  /**
   * A decoded image beyond the limits is refused as a file or a frame is, naming the limit, its value and
   * the property that raises it (it said only "is beyond the image limits").
   */
  @Test
  void aDecodedImageBeyondTheLimitsNamesTheLimit() {
    Preprocess pre = new Preprocess(8, 8);
    String side = assertThrows(BadInputException.class, () -> pre.image(new BufferedImage(40_000, 10, BufferedImage.TYPE_BYTE_GRAY), "x")).getMessage();
    assertEquals("x: image of 40000x10 has a side over the limit of 30000 pixels (-Dnetc.image.maxSide=N allows more)", side);
    System.setProperty(ImageLimits.MAX_PIXELS_PROPERTY, "100");
    try {
      String pixels = assertThrows(BadInputException.class,
          () -> pre.image(new BufferedImage(20, 10, BufferedImage.TYPE_BYTE_GRAY), "y")).getMessage();
      assertEquals("y: image of 20x10 has 200 pixels, over the limit of 100 (-Dnetc.image.maxPixels=N allows more)", pixels);
      assertEquals(3 * 8 * 8, pre.image(new BufferedImage(10, 10, BufferedImage.TYPE_BYTE_GRAY), "z").length, "at the limit");
    } finally {
      System.clearProperty(ImageLimits.MAX_PIXELS_PROPERTY);
    }
  }

  /**
   * A decoded image is the same picture whatever its BufferedImage type: packed 5-6-5 and 5-5-5 pixels and
   * premultiplied alpha (opaque here) give the 8-bit RGB tensor within their quantization (5 bits: 4/255).
   */
  @ParameterizedTest
  @ValueSource(ints = {java.awt.image.BufferedImage.TYPE_INT_RGB, java.awt.image.BufferedImage.TYPE_INT_ARGB,
      java.awt.image.BufferedImage.TYPE_INT_ARGB_PRE, java.awt.image.BufferedImage.TYPE_4BYTE_ABGR_PRE,
      java.awt.image.BufferedImage.TYPE_USHORT_565_RGB, java.awt.image.BufferedImage.TYPE_USHORT_555_RGB})
  void everyImageTypeGivesThePicture(int type) {
    java.awt.image.BufferedImage picture = TestImages.picture(80, 60), copy = new java.awt.image.BufferedImage(80, 60, type);
    for (int y = 0; y < 60; y++) for (int x = 0; x < 80; x++) copy.setRGB(x, y, picture.getRGB(x, y));
    Preprocess pre = new Preprocess(60, 60);
    float[] expected = pre.image(picture, "picture"), actual = pre.image(copy, "copy");
    boolean packed = type == java.awt.image.BufferedImage.TYPE_USHORT_565_RGB || type == java.awt.image.BufferedImage.TYPE_USHORT_555_RGB;
    double d = maxDiff(expected, actual);
    assertTrue(d <= (packed ? 4.5 / 255 : 1e-6), "type " + type + ": max difference " + d);
  }

  /**
   * A 16-bit CMYK image is converted from the high bytes of its samples, as an 8-bit one of those
   * bytes (it was converted from the 16-bit values as if 8-bit). Ink 127, 195, 55, 2 is RGB 127, 60,
   * 198 by Pillow's formula.
   */
  @Test
  void sixteenBitCmykKeepsTheHighByte() {
    int[] ink = {127, 195, 55, 2};
    int[] wide = Arrays.stream(ink).map(v -> v << 8 | 0xa5).toArray();
    assertArrayEquals(new int[] {127, 60, 198}, rgbOf(flat(new Cmyk(), 8, java.awt.image.DataBuffer.TYPE_BYTE, ink)));
    assertArrayEquals(new int[] {127, 60, 198}, rgbOf(flat(new Cmyk(), 16, java.awt.image.DataBuffer.TYPE_USHORT, wide)));
  }

  /**
   * Gray of any depth is read from its samples as 8- and 16-bit gray are (their high byte, or scaled
   * up from fewer bits), not through AWT's conversion, which takes gray for linear: mid gray of 10
   * and 12 bits came out at 188 of 255, where 8 and 16 bits give 128.
   */
  @Test
  void grayOfAnyDepthIsReadFromItsSamples() {
    ColorSpace gray = ColorSpace.getInstance(ColorSpace.CS_GRAY);
    int u16 = java.awt.image.DataBuffer.TYPE_USHORT, u8 = java.awt.image.DataBuffer.TYPE_BYTE;
    assertArrayEquals(new int[] {128, 128, 128}, rgbOf(flat(gray, 8, u8, new int[] {128})));
    assertArrayEquals(new int[] {128, 128, 128}, rgbOf(flat(gray, 16, u16, new int[] {128 << 8 | 0xff})));
    assertArrayEquals(new int[] {128, 128, 128}, rgbOf(flat(gray, 12, u16, new int[] {128 << 4 | 0xf})));
    assertArrayEquals(new int[] {128, 128, 128}, rgbOf(flat(gray, 10, u16, new int[] {128 << 2 | 3})));
    assertArrayEquals(new int[] {136, 136, 136}, rgbOf(flat(gray, 4, u8, new int[] {8})), "8 of 15 is 136 of 255");
  }

  /**
   * Signed 16-bit samples (a color model over DataBuffer.TYPE_SHORT) are read as that color model scales
   * them: 0 to 32767 is black to full scale, so their high 8 bits are the 15 below the sign, and a
   * negative sample is below black. They were read as unsigned 16-bit ones, sign-extended: white came
   * out at 127 of 255 and -1 at 255, a wrong tensor without a word. AWT's getRGB is no way out: it
   * takes gray for linear (mid gray to 188) and indexes a table with a negative gray sample (an
   * ArrayIndexOutOfBoundsException).
   */
  @Test
  void signedSixteenBitSamplesAreReadAsTheirColorModelScalesThem() {
    ColorSpace rgb = ColorSpace.getInstance(ColorSpace.CS_sRGB), gray = ColorSpace.getInstance(ColorSpace.CS_GRAY);
    int s16 = java.awt.image.DataBuffer.TYPE_SHORT;
    assertArrayEquals(new int[] {255, 128, 0}, rgbOf(flat(rgb, 16, s16, new int[] {32767, 16384, 0})));
    assertArrayEquals(new int[] {0, 127, 1}, rgbOf(flat(rgb, 16, s16, new int[] {-1, 16383, 128})));
    assertArrayEquals(new int[] {0, 200, 0}, rgbOf(flat(rgb, 16, s16, new int[] {-32768, 200 << 7 | 0x7f, -256})));
    assertArrayEquals(new int[] {255, 255, 255}, rgbOf(flat(gray, 16, s16, new int[] {32767})));
    assertArrayEquals(new int[] {128, 128, 128}, rgbOf(flat(gray, 16, s16, new int[] {16384})));
    assertArrayEquals(new int[] {0, 0, 0}, rgbOf(flat(gray, 16, s16, new int[] {-1})));
    assertArrayEquals(new int[] {0, 0, 0}, rgbOf(flat(gray, 16, s16, new int[] {-32768})));
  }

  /**
   * A color space other than RGB, gray and CMYK (Kodak's PhotoYCC, CIE XYZ) is converted by the image's
   * color model, as AWT's getRGB gives it; its samples were read as RGB.
   */
  @ParameterizedTest
  @ValueSource(ints = {ColorSpace.CS_PYCC, ColorSpace.CS_CIEXYZ})
  void otherColorSpacesAreConverted(int space) {
    BufferedImage img = flat(ColorSpace.getInstance(space), 8, java.awt.image.DataBuffer.TYPE_BYTE, new int[] {100, 150, 80});
    int argb = img.getRGB(0, 0);
    int[] expected = {argb >> 16 & 0xff, argb >> 8 & 0xff, argb & 0xff};
    assertFalse(Arrays.equals(new int[] {100, 150, 80}, expected), "the conversion changes the samples");
    assertArrayEquals(expected, rgbOf(img));
  }

  /**
   * Float gray samples outside [0, 1]: AWT's getRGB indexes past its tables (an ArrayIndexOutOfBoundsException
   * reached the caller); now one BadInputException naming the image and the row. In range, they convert.
   */
  @Test
  void floatSamplesAWTCannotConvertAreRefusedByName() {
    ColorSpace gray = ColorSpace.getInstance(ColorSpace.CS_GRAY);
    java.awt.image.ColorModel model = new java.awt.image.ComponentColorModel(gray, false, false, java.awt.Transparency.OPAQUE,
        java.awt.image.DataBuffer.TYPE_FLOAT);
    java.awt.image.WritableRaster raster = model.createCompatibleWritableRaster(8, 8);
    for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) raster.setPixel(x, y, new float[] {y == 3 ? 2f : 0.5f});
    BufferedImage img = new BufferedImage(model, raster, false, null);
    BadInputException e = assertThrows(BadInputException.class, () -> new Preprocess(8, 8).image(img, "img"));
    assertEquals("img: row 3 of the image has samples its color model cannot convert to RGB (float samples outside 0..1?)", e.getMessage());
    raster.setPixel(0, 3, new float[] {0.5f});
    for (int x = 1; x < 8; x++) raster.setPixel(x, 3, new float[] {0.5f});
    float[] t = new Preprocess(8, 8).image(img, "img");
    assertEquals(t[0], t[64]); // gray: the three channels equal
  }

  /** An 8x8 image of {@code space} whose every pixel holds {@code samples}, of {@code bits} bits each. */
  private static BufferedImage flat(ColorSpace space, int bits, int dataType, int[] samples) {
    int[] sizes = new int[space.getNumComponents()];
    Arrays.fill(sizes, bits);
    java.awt.image.ColorModel model = new java.awt.image.ComponentColorModel(space, sizes, false, false, java.awt.Transparency.OPAQUE, dataType);
    java.awt.image.WritableRaster raster = model.createCompatibleWritableRaster(8, 8);
    for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) raster.setPixel(x, y, samples);
    return new BufferedImage(model, raster, false, null);
  }

  /** The RGB (0-255) of the top-left pixel of a flat image's tensor, preprocessed at its own size. */
  private static int[] rgbOf(BufferedImage img) {
    float[] x = new Preprocess(8, 8).image(img, "img");
    return new int[] {Math.round(x[0] * 255), Math.round(x[64] * 255), Math.round(x[128] * 255)};
  }

  /**
   * A CMYK color space (the JDK has no CMYK profile), the naive conversion: netc converts CMYK by
   * Pillow's formula, never through it.
   */
  private static final class Cmyk extends ColorSpace {
    Cmyk() {
      super(TYPE_CMYK, 4);
    }

    @Override
    public float[] toRGB(float[] v) {
      return new float[] {(1 - v[0]) * (1 - v[3]), (1 - v[1]) * (1 - v[3]), (1 - v[2]) * (1 - v[3])};
    }

    @Override
    public float[] fromRGB(float[] rgb) {
      throw new UnsupportedOperationException();
    }

    @Override
    public float[] toCIEXYZ(float[] v) {
      return ColorSpace.getInstance(CS_sRGB).toCIEXYZ(toRGB(v));
    }

    @Override
    public float[] fromCIEXYZ(float[] xyz) {
      throw new UnsupportedOperationException();
    }
  }
}
