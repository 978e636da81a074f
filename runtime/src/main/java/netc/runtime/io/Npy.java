package netc.runtime.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;

/**
 * NumPy's .npy format for float32 tensors, the interchange format for inputs and outputs. Reads
 * versions 1 to 3 of little-endian float32 C-order arrays; every size is checked against the file.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private Npy() {}

  public static Tensor read(Path path) {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > Integer.MAX_VALUE) throw new BadInputException(path + ": file larger than 2 GiB");
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(size, 1 << 16));
      ch.read(buf, 0);
      buf.flip().order(ByteOrder.LITTLE_ENDIAN);
      return parse(path, ch, size, buf);
    } catch (IOException e) {
      throw new BadInputException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  private static Tensor parse(Path path, FileChannel ch, long size, ByteBuffer head) throws IOException {
    if (head.remaining() < 10) throw bad(path, "too short to be a .npy file");
    for (int i = 0; i < MAGIC.length; i++) if (head.get(i) != MAGIC[i]) throw bad(path, "not a .npy file (bad magic)");
    int major = head.get(6);
    long headerLen;
    int start;
    if (major == 1) {
      headerLen = head.getShort(8) & 0xffff;
      start = 10;
    } else if (major == 2 || major == 3) {
      if (head.remaining() < 12) throw bad(path, "truncated header");
      headerLen = head.getInt(8) & 0xffffffffL;
      start = 12;
    } else {
      throw bad(path, "unsupported .npy version " + major);
    }
    if (start + headerLen > head.limit()) throw bad(path, "header length " + headerLen + " runs past the file");
    byte[] hb = new byte[(int) headerLen];
    head.position(start);
    head.get(hb);
    String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    Matcher descr = DESCR.matcher(header), fortran = FORTRAN.matcher(header), shapeM = SHAPE.matcher(header);
    if (!descr.find() || !fortran.find() || !shapeM.find()) throw bad(path, "malformed header " + header.strip());
    String dtype = descr.group(1);
    if (!dtype.equals("<f4") && !dtype.equals("|f4")) {
      throw bad(path, "dtype is " + dtype + ", expected float32 ('<f4'); convert with arr.astype(numpy.float32)");
    }
    if (fortran.group(1).equals("True")) throw bad(path, "Fortran-order arrays are not supported; save with numpy.ascontiguousarray");
    List<Integer> dims = new ArrayList<>();
    long elements = 1;
    for (String part : shapeM.group(1).split(",")) {
      String t = part.strip();
      if (t.isEmpty()) continue;
      long d;
      try {
        d = Long.parseLong(t.replace("L", ""));
      } catch (NumberFormatException e) {
        throw bad(path, "bad shape (" + shapeM.group(1) + ")");
      }
      if (d < 0 || d > Integer.MAX_VALUE) throw bad(path, "bad dimension " + d);
      elements = Math.min(elements * Math.max(d, 1), Long.MAX_VALUE / 8) * (d == 0 ? 0 : 1);
      dims.add((int) d);
    }
    long dataBytes = size - start - headerLen;
    if (elements * 4 != dataBytes) {
      throw bad(path, "shape " + dims + " needs " + elements * 4 + " bytes of data, the file has " + dataBytes);
    }
    int[] shape = dims.stream().mapToInt(Integer::intValue).toArray();
    ByteBuffer data = ByteBuffer.allocate((int) dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    long pos = start + headerLen;
    while (data.hasRemaining()) {
      int n = ch.read(data, pos);
      if (n < 0) throw bad(path, "truncated data");
      pos += n;
    }
    data.flip();
    float[] values = new float[(int) elements];
    data.asFloatBuffer().get(values);
    return new Tensor(shape, values);
  }

  private static BadInputException bad(Path path, String problem) {
    return new BadInputException(path + ": " + problem);
  }

  public static void write(Path path, Tensor t) throws IOException {
    StringBuilder shape = new StringBuilder();
    for (int d : t.shape()) shape.append(d).append(", ");
    String s = shape.toString();
    if (t.rank() > 1) s = s.substring(0, s.length() - 2);
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + s + "), }";
    int total = 10 + dict.length() + 1;
    int pad = (64 - total % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteBuffer data = ByteBuffer.allocate(4 * t.size()).order(ByteOrder.LITTLE_ENDIAN);
    data.asFloatBuffer().put(t.data());
    try (OutputStream out = Files.newOutputStream(path)) {
      out.write(MAGIC);
      out.write(new byte[] {1, 0, (byte) (header.length() & 0xff), (byte) (header.length() >> 8)});
      out.write(header.getBytes(StandardCharsets.ISO_8859_1));
      out.write(data.array());
    }
  }
}
