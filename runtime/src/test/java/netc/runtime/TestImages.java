package netc.runtime;

import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Small images made in the tests (nothing big is committed): encoded PNGs and JPEGs, PNG chunks and
 * JPEG segments built by hand.
 */
final class TestImages {
  private TestImages() {}

  /** A gradient with a disc: smooth areas and edges, so a JPEG has real entropy-coded data. */
  static BufferedImage picture(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = img.createGraphics();
    g.setPaint(new GradientPaint(0, 0, Color.ORANGE, w, h, Color.BLUE));
    g.fillRect(0, 0, w, h);
    g.setColor(Color.WHITE);
    g.fillOval(w / 4, h / 4, Math.max(1, w / 2), Math.max(1, h / 2));
    g.dispose();
    return img;
  }

  static byte[] png(BufferedImage img) {
    return encode(img, "png", false);
  }

  static byte[] jpeg(BufferedImage img, boolean progressive) {
    return encode(img, "jpeg", progressive);
  }

  private static byte[] encode(BufferedImage img, String format, boolean progressive) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName(format).next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      if (progressive) param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
      writer.write(null, new IIOImage(img, null, null), param);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return bytes.toByteArray();
  }

  /**
   * A 4-component (CMYK) JPEG of flat 8x8 blocks side by side, block i holding the stored samples
   * {@code blocks[i]}, with an Adobe segment of {@code transform} (0 CMYK, 2 YCCK) as Photoshop writes
   * one. At quality 1 a flat block decodes to exactly its samples.
   */
  static byte[] cmykJpeg(int[][] blocks, int transform) {
    WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 8 * blocks.length, 8, 4, null);
    for (int i = 0; i < blocks.length; i++) {
      for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) raster.setPixel(8 * i + x, y, blocks[i]);
    }
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(1f);
      writer.write(null, new IIOImage(raster, null, null), param);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    // "Adobe", version 100, flags 0 and 0, the transform
    byte[] adobe = ByteBuffer.allocate(12).put("Adobe".getBytes(StandardCharsets.US_ASCII)).putShort((short) 100).putInt(0).put((byte) transform).array();
    return withSegment(bytes.toByteArray(), 0xee, adobe);
  }

  /**
   * {@code jpeg} with an ICC profile in {@code parts} APP2 segments, as the ICC specification puts one in
   * a JPEG: "ICC_PROFILE\0", the segment's number from 1, the count, a part of the profile.
   */
  static byte[] withIccProfile(byte[] jpeg, byte[] profile, int parts) {
    int per = (profile.length + parts - 1) / parts;
    for (int i = parts - 1; i >= 0; i--) { // inserted in front one by one: the last first
      int from = i * per, n = Math.min(per, profile.length - from);
      byte[] payload = concat("ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) (i + 1), (byte) parts},
          java.util.Arrays.copyOfRange(profile, from, from + n));
      jpeg = withSegment(jpeg, 0xe2, payload);
    }
    return jpeg;
  }

  /** {@code jpeg} with a marker segment inserted after its SOI and its JFIF segment (APP0) if it has one. */
  static byte[] withSegment(byte[] jpeg, int marker, byte[] payload) {
    int at = 2;
    if ((jpeg[2] & 0xff) == 0xff && (jpeg[3] & 0xff) == 0xe0) at = 4 + ((jpeg[4] & 0xff) << 8 | (jpeg[5] & 0xff));
    byte[] head = ByteBuffer.allocate(4).put((byte) 0xff).put((byte) marker).putShort((short) (2 + payload.length)).array();
    return concat(java.util.Arrays.copyOf(jpeg, at), head, payload, java.util.Arrays.copyOfRange(jpeg, at, jpeg.length));
  }

  /**
   * The scans of a JPEG as {start, end} offsets: each start-of-scan segment with its entropy-coded data,
   * up to the next marker (not a stuffed 0xFF 0x00 or a restart marker). Only for the well-formed files
   * made here: no fill bytes.
   */
  static List<int[]> scans(byte[] jpeg) {
    List<int[]> scans = new ArrayList<>();
    for (int i = 2; (jpeg[i + 1] & 0xff) != 0xd9; ) {
      int end = i + 2 + ((jpeg[i + 2] & 0xff) << 8 | (jpeg[i + 3] & 0xff));
      if ((jpeg[i + 1] & 0xff) == 0xda) {
        while ((jpeg[end] & 0xff) != 0xff || jpeg[end + 1] == 0 || (jpeg[end + 1] & 0xff) >= 0xd0 && (jpeg[end + 1] & 0xff) <= 0xd7) end++;
        scans.add(new int[] {i, end});
      }
      i = end;
    }
    return scans;
  }

  /** {@code jpeg} with scan {@code index} repeated {@code copies} more times right after itself. */
  static byte[] repeatScan(byte[] jpeg, int index, int copies) {
    int[] scan = scans(jpeg).get(index);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, scan[1]);
    for (int i = 0; i < copies; i++) out.write(jpeg, scan[0], scan[1] - scan[0]);
    out.write(jpeg, scan[1], jpeg.length - scan[1]);
    return out.toByteArray();
  }

  /** One PNG chunk: length, type, data and a correct CRC. */
  static byte[] chunk(String type, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(12 + data.length);
    byte[] t = type.getBytes(StandardCharsets.ISO_8859_1);
    b.putInt(data.length).put(t).put(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    b.putInt((int) crc.getValue());
    return b.array();
  }

  /** An IHDR chunk of an 8-bit RGB image of {@code w x h}. */
  static byte[] ihdr(long w, long h) {
    return ihdr(w, h, 8, 2);
  }

  /** An IHDR chunk of a {@code w x h} image of {@code depth} bits a sample and PNG color type {@code colorType} (3: palette, 6: RGBA). */
  static byte[] ihdr(long w, long h, int depth, int colorType) {
    return chunk("IHDR", ByteBuffer.allocate(13).putInt((int) w).putInt((int) h).put((byte) depth).put((byte) colorType).put(new byte[3]).array());
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }
}
