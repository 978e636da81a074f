package netc.runtime;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;

/**
 * The chunk structure of a PNG file, checked before decoding: ImageIO's reader neither checks the
 * chunks' CRCs nor looks for the IEND chunk, so a file cut after its last pixel row, or with
 * damaged chunks, would otherwise decode without a word. Walks every chunk (streaming, no buffer
 * larger than a read block): IHDR first, IDATs, a correct CRC on each, IEND at the end, at most
 * {@link #MAX_CHUNKS} chunks besides the IDATs, one PLTE, no tRNS data the reader would skip wrongly.
 * Bytes after IEND are ignored, as PIL and browsers ignore them.
 */
final class PngChunks {
  static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  /** The PNG specification's largest chunk length (2^31 - 1). */
  private static final long MAX_CHUNK = Integer.MAX_VALUE;

  /** IHDR's color type of a palette image. */
  private static final int PALETTE = 3;

  /**
   * The most chunks other than IDAT a PNG may have. ImageIO's reader parses every chunk of a palette
   * image up to IEND and keeps each unknown one (about 90 bytes of heap and 6 microseconds even when
   * empty), so 20 million empty 12-byte chunks in a 240 MB file took 1.8 GB and two minutes. An image
   * has a few dozen (IHDR, PLTE, tRNS, text, IEND); an animated PNG two per frame (fcTL, fdAT), so
   * this allows over 30,000 frames, and costs at most 6 MB and half a second. IDATs are not counted: a
   * large image may split its data into any number of them, and the reader keeps none.
   */
  static final int MAX_CHUNKS = 65_536;

  /**
   * The most bytes a palette image's sPLT chunks (suggested palettes) may hold together. ImageIO's reader
   * parses the chunks of a palette image even with metadata ignored, and an sPLT into five int arrays of half
   * its length, ten times its size, before it checks the chunk's sample depth: a 1x1 image with a 200 MB sPLT
   * took 2 GB. Other chunks cost their size at most (unknown ones are kept as read; text is skipped), which
   * {@link Preprocess#MAX_STREAM_BYTES} bounds. A suggested palette of 256 colors takes under 3 KB.
   */
  static final long MAX_PALETTE_SPLT = 1L << 20;

  private PngChunks() {}

  /**
   * Throws a one-line BadInputException naming {@code file} unless its chunks are whole and intact.
   *
   * @return the number of entries in a palette image's (first) PLTE chunk, which ImageIO pads; -1
   *     for an image of another color type
   */
  static int check(Path file) throws IOException {
    long size = Files.size(file);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      return new Walk(file.toString(), size, in).run();
    }
  }

  /** {@link #check(Path)} of an image held in memory, {@code name} naming it in the message. */
  static int check(byte[] data, String name) throws IOException {
    return new Walk(name, data.length, new java.io.ByteArrayInputStream(data)).run();
  }

  /** One pass over a file's chunks. */
  private static final class Walk {
    private final String file;
    private final long size;
    private final InputStream in;
    private final byte[] block = new byte[1 << 16];
    private long offset;

    Walk(String file, long size, InputStream in) {
      this.file = file;
      this.size = size;
      this.in = in;
    }

    /** The walk; returns the entries of a palette image's PLTE chunk, -1 for another color type. */
    int run() throws IOException {
      byte[] signature = in.readNBytes(SIGNATURE.length);
      offset = signature.length;
      if (!java.util.Arrays.equals(signature, SIGNATURE)) throw bad("corrupt PNG: bad signature");
      boolean sawData = false;
      int others = 0; // chunks other than IDAT
      int colorType = -1, entries = -1;
      long suggested = 0; // a palette image's bytes of sPLT chunks
      for (int index = 0; ; index++) {
        long start = offset;
        if (start == size) throw bad("truncated PNG: the file ends after " + size + " bytes without an IEND chunk");
        byte[] head = readFully(8, "a chunk header");
        long length = ((head[0] & 0xffL) << 24) | ((head[1] & 0xff) << 16) | ((head[2] & 0xff) << 8) | (head[3] & 0xff);
        if (!letters(head, 4, 4)) throw bad("corrupt PNG: no chunk type at byte " + (start + 4));
        String type = new String(head, 4, 4, StandardCharsets.ISO_8859_1);
        if (length > MAX_CHUNK) throw bad("corrupt PNG: chunk " + type + " at byte " + start + " declares " + length + " bytes");
        if (index == 0 && !(type.equals("IHDR") && length == 13)) throw bad("corrupt PNG: the first chunk is " + type + ", not a 13-byte IHDR");
        if (!type.equals("IDAT") && ++others > MAX_CHUNKS) {
          throw bad("PNG of more than " + MAX_CHUNKS + " chunks besides IDAT (chunk " + others + ", " + type + ", starts at byte " + start
              + "): the decoder keeps each, and encoders write a few dozen, or two per frame of an animation");
        }
        if (start + 12 + length > size) {
          throw bad("truncated PNG: chunk " + type + " at byte " + start + " needs " + (12 + length) + " bytes, the file ends after " + size);
        }
        if (colorType == PALETTE && type.equals("sPLT") && (suggested += length) > MAX_PALETTE_SPLT) {
          throw bad("palette PNG whose suggested palettes (sPLT chunks) hold more than " + MAX_PALETTE_SPLT + " bytes (the sPLT at byte " + start
              + " holds " + length + "): the decoder reads them into memory ten times over, and a palette of 256 colors takes under 3 KB");
        }
        CRC32 crc = new CRC32();
        crc.update(head, 4, 4);
        if (index == 0) { // IHDR, 13 bytes: width, height, bit depth, color type, ...
          byte[] ihdr = readFully(13, "chunk IHDR");
          crc.update(ihdr);
          colorType = ihdr[9] & 0xff;
        } else {
          copyInto(crc, length, type);
        }
        byte[] stored = readFully(4, "the CRC of chunk " + type);
        long expected = ((stored[0] & 0xffL) << 24) | ((stored[1] & 0xff) << 16) | ((stored[2] & 0xff) << 8) | (stored[3] & 0xff);
        if (crc.getValue() != expected) throw bad("corrupt PNG: chunk " + type + " at byte " + start + " fails its CRC check");
        sawData |= type.equals("IDAT");
        // ImageIO's reader reads none of the data of a tRNS chunk it ignores for these two reasons, and goes on from
        // there: a crafted chunk's data then reads as further chunks (a hidden IDAT, a picture other than PIL's)
        if (type.equals("tRNS") && length > 0) {
          if (colorType == 4 || colorType == 6) {
            throw bad("corrupt PNG: chunk tRNS at byte " + start + " in an image with an alpha channel (color type " + colorType + "), "
                + "which the PNG specification forbids");
          }
          if (colorType == PALETTE && entries < 0) throw bad("corrupt PNG: chunk tRNS at byte " + start + " comes before the palette (PLTE chunk)");
        }
        // ImageIO takes the first palette, PIL the last
        if (type.equals("PLTE") && entries >= 0) throw bad("corrupt PNG: a second PLTE chunk at byte " + start);
        if (type.equals("PLTE")) entries = (int) (length / 3);
        if (type.equals("IEND")) {
          if (!sawData) throw bad("corrupt PNG: no IDAT chunk (no pixel data)");
          return colorType == PALETTE ? entries : -1;
        }
      }
    }

    /** Feeds {@code length} bytes of chunk data to the CRC without holding them. */
    private void copyInto(CRC32 crc, long length, String type) throws IOException {
      for (long left = length; left > 0; ) {
        int n = in.read(block, 0, (int) Math.min(block.length, left));
        if (n < 0) throw bad("truncated PNG: the file ends inside chunk " + type + " (at byte " + offset + ")");
        crc.update(block, 0, n);
        left -= n;
        offset += n;
      }
    }

    private byte[] readFully(int n, String what) throws IOException {
      byte[] b = in.readNBytes(n);
      offset += b.length;
      if (b.length < n) throw bad("truncated PNG: the file ends inside " + what + " (at byte " + offset + ")");
      return b;
    }

    /** Chunk types are four ASCII letters; anything else means the walk lost its place. */
    private static boolean letters(byte[] b, int from, int n) {
      for (int i = from; i < from + n; i++) {
        int c = b[i] | 0x20; // lower case
        if (c < 'a' || c > 'z') return false;
      }
      return true;
    }

    private BadInputException bad(String problem) {
      return new BadInputException(file + ": cannot decode image (" + problem + ")");
    }
  }
}
