// Writes the seed corpora of the runtime fuzz harnesses (FUZZING.md): small valid files and a few edge
// cases, made with the project's own writers and ImageIO so they need no other tool. From the repository
// root, after `mvn -o -q test-compile -pl runtime`:
//   jshell --class-path runtime/target/classes runtime/src/test/fuzz/make-seeds.jsh
// (the model jars carry runtime/target/test-classes' JarModel.class, as ModelJarTest's hand-made jars do)
import java.awt.image.*;
import java.io.*;
import java.nio.*;
import java.nio.file.*;
import java.util.*;
import javax.imageio.*;
import javax.imageio.stream.*;
import netc.runtime.Tensor;
import netc.runtime.io.*;

Path res = Path.of("runtime/src/test/resources/netc/runtime");
Path st = res.resolve("io/SafetensorsFuzzTestInputs/read"), npy = res.resolve("io/NpyFuzzTestInputs/read");
Path img = res.resolve("ImageFuzzTestInputs/image"), yuv = res.resolve("YuvFuzzTestInputs/frame");
Path jars = res.resolve("ModelJarFuzzTestInputs/load");
for (Path p : List.of(st, npy, img, yuv, jars)) Files.createDirectories(p);

// safetensors: two tensors with metadata, one scalar-shaped, an empty file of tensors
Safetensors.write(st.resolve("two_tensors"), new LinkedHashMap<>(Map.of("conv.weight", Tensor.uniform(1, 2, 1, 3, 3))), Map.of("format", "pt"));
var m = new LinkedHashMap<String, Tensor>();
m.put("fc.weight", Tensor.uniform(2, 3, 4)); m.put("fc.bias", Tensor.uniform(3, 3)); m.put("bn.running_var", Tensor.uniform(4, 1));
Safetensors.write(st.resolve("three_tensors"), m, Map.of());
Safetensors.write(st.resolve("no_tensors"), new LinkedHashMap<>(), Map.of());
// F16 and BF16 tensors, written by hand (the writer only writes F32)
String h = "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]},\"c\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[6,14]}}  ";
ByteBuffer b = ByteBuffer.allocate(8 + h.length() + 14).order(ByteOrder.LITTLE_ENDIAN);
b.putLong(h.length()).put(h.getBytes()).putShort((short) 0x3c00).putShort((short) 0x7c00).putShort((short) 0x3f80).putDouble(0.5);
Files.write(st.resolve("f16_bf16_f64"), b.array());

// .npy: 1-d, 4-d, empty, scalar
Npy.write(npy.resolve("vector"), Tensor.uniform(1, 5));
Npy.write(npy.resolve("nchw"), Tensor.uniform(2, 1, 2, 2, 2));
Npy.write(npy.resolve("empty"), Tensor.zeros(0, 3));
Npy.write(npy.resolve("matrix"), Tensor.uniform(3, 2, 3));

// images: PNG in RGB, gray, palette and with alpha; JPEG baseline and progressive; extreme aspect
void save(BufferedImage im, String format, Path file, boolean progressive) throws IOException {
  ImageWriter w = ImageIO.getImageWritersByFormatName(format).next();
  ImageWriteParam p = w.getDefaultWriteParam();
  if (progressive) p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
  Files.deleteIfExists(file); // the stream would keep the old file's longer tail
  try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
    w.setOutput(out);
    w.write(null, new IIOImage(im, null, null), p);
  }
  w.dispose();
}
BufferedImage pattern(int w, int h, int type) {
  BufferedImage im = new BufferedImage(w, h, type);
  for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) im.setRGB(x, y, (x * 37 + y * 11) << 16 | (x * y * 5 & 0xff) << 8 | (y * 29) & 0xff | 0x80000000);
  return im;
}
save(pattern(6, 5, BufferedImage.TYPE_INT_RGB), "png", img.resolve("rgb.png"), false);
save(pattern(5, 6, BufferedImage.TYPE_BYTE_GRAY), "png", img.resolve("gray.png"), false);
save(pattern(4, 4, BufferedImage.TYPE_BYTE_INDEXED), "png", img.resolve("palette.png"), false);
save(pattern(4, 3, BufferedImage.TYPE_INT_ARGB), "png", img.resolve("rgba.png"), false);
save(pattern(1, 40, BufferedImage.TYPE_INT_RGB), "png", img.resolve("tall_strip.png"), false);
save(pattern(8, 8, BufferedImage.TYPE_INT_RGB), "jpeg", img.resolve("baseline.jpg"), false);
save(pattern(8, 8, BufferedImage.TYPE_INT_RGB), "jpeg", img.resolve("progressive.jpg"), true);
save(pattern(8, 8, BufferedImage.TYPE_BYTE_GRAY), "jpeg", img.resolve("gray.jpg"), false);
byte[] jpg = Files.readAllBytes(img.resolve("baseline.jpg")), png = Files.readAllBytes(img.resolve("rgb.png"));
Files.write(img.resolve("baseline_cut.jpg"), Arrays.copyOf(jpg, jpg.length / 2)); // refused: no end-of-image marker
Files.write(img.resolve("rgb_cut.png"), Arrays.copyOf(png, png.length - 12)); // refused: no IEND
Files.write(img.resolve("gif_header"), "GIF89a\1\0\1\0".getBytes()); // refused: named as a GIF

// YUV frames (YuvFuzzTest's header: format byte, width, height, then the frame), odd sizes included
void frame(String name, int format, int w, int h, int bytes) throws IOException {
  byte[] f = new byte[9 + bytes];
  f[0] = (byte) format; f[1] = (byte) w; f[2] = (byte) h;
  for (int i = 9; i < f.length; i++) f[i] = (byte) (i * 7);
  Files.write(yuv.resolve(name), f);
}
frame("i420_4x4", 0, 4, 4, 16 + 2 * 4);
frame("i420_odd_5x3", 0, 5, 3, 15 + 2 * 3 * 2);
frame("nv12_6x2", 1, 6, 2, 12 + 2 * 3);
frame("yuyv_4x2", 2, 4, 2, 16);
frame("yuyv_odd_width", 2, 3, 2, 12);
frame("i420_wrong_size", 0, 4, 4, 23);
byte[] big = new byte[9]; big[0] = (byte) 0x80;
ByteBuffer.wrap(big, 1, 8).putInt(32768).putInt(32768);
Files.write(yuv.resolve("i420_32768x32768"), big);
ByteBuffer.wrap(big, 1, 8).putInt(-2).putInt(100000);
Files.write(yuv.resolve("negative_width"), big);

// model jars: ModelJarTest's two-weight model (output i = weight i x the input's sum), with and without labels, and one
// whose properties give a weight count its weights file does not hold
byte[] cls = Files.readAllBytes(Path.of("runtime/target/test-classes/netc/models/jartest/JarModel.class"));
String props(int floats, boolean labels) {
  return String.join("\n", "class=netc.models.jartest.JarModel", "runtime.abi=" + netc.runtime.CompiledModel.ABI, "name=jartest",
      "network=jartest", "input.shape=1,1,2", "output.size=2", "arena.floats=2", "weights.resource=/netc/models/jartest/weights.bin",
      "weights.floats=" + floats) + (labels ? "\nlabels.resource=/netc/models/jartest/labels.txt" : "") + "\n";
}
void modelJar(String name, String properties, String labels) throws IOException {
  ByteBuffer w = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(2f).putFloat(-0.5f);
  try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jars.resolve(name)))) {
    out.putNextEntry(new java.util.jar.JarEntry("META-INF/netc/model"));
    out.write("jartest\n".getBytes());
    out.putNextEntry(new java.util.jar.JarEntry("netc/models/jartest/JarModel.class"));
    out.write(cls);
    out.putNextEntry(new java.util.jar.JarEntry("netc/models/jartest/model.properties"));
    out.write(properties.getBytes());
    var e = new java.util.jar.JarEntry("netc/models/jartest/weights.bin"); // stored with its CRC, as netc compile writes it
    var crc = new java.util.zip.CRC32();
    crc.update(w.array());
    e.setMethod(java.util.jar.JarEntry.STORED); e.setSize(8); e.setCompressedSize(8); e.setCrc(crc.getValue());
    out.putNextEntry(e);
    out.write(w.array());
    if (labels != null) {
      out.putNextEntry(new java.util.jar.JarEntry("netc/models/jartest/labels.txt"));
      out.write(labels.getBytes());
    }
  }
}
modelJar("labelled", props(2, true), "cat\ndog\n");
modelJar("no_labels", props(2, false), null);
modelJar("weights_short", props(3, false), null);
/exit
