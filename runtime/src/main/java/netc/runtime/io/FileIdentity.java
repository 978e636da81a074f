package netc.runtime.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;

/**
 * What a file was when it was opened, to tell later whether it is still that file: its inode (key), size,
 * modification time, and change time (ctime, where the file system has one, else null). A file overwritten
 * in place with as many bytes keeps its inode and size; its modification time moves, and where that was put
 * back (cp -p, rsync -t), its change time. A write within the file system's clock tick of the first look (a
 * few ms on Linux) can still pass. Safetensors checks it around each tensor's read, Npy around its one read,
 * Preprocess around a camera frame's and an image's reads.
 */
public record FileIdentity(Object key, long size, FileTime modified, Object changed) {
  /** {@code path}'s identity now, {@code size} its open channel's (or the file's). */
  public static FileIdentity of(Path path, long size) throws IOException {
    BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
    Object changed;
    try {
      changed = Files.getAttribute(path, "unix:ctime");
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      changed = null; // no "unix" view (Windows): the other three still tell
    }
    return new FileIdentity(a.fileKey(), size, a.lastModifiedTime(), changed);
  }

  /** {@code path}'s identity now, its size the file's. */
  public static FileIdentity of(Path path) throws IOException {
    return of(path, Files.size(path));
  }

  /** {@link #requireUnchanged(Path, long)} with the file's size now (a file read by path, not through one open channel). */
  public void requireUnchanged(Path path) throws IOException {
    requireUnchanged(path, Files.size(path));
  }

  /**
   * Refuses {@code path} unless it is still the file it was when {@code this} was taken of it, with one line naming it
   * and the change ({@code size} the open channel's size now, or the file's): read between the two, it may hold a mix
   * of old and new bytes (a producer writing the next frame or batch in place).
   */
  public void requireUnchanged(Path path, long size) throws IOException {
    String change = change(of(path, size));
    if (change != null) throw new netc.runtime.BadInputException(path + ": changed while being read (" + change + ")");
  }

  /** How the file is {@code now} unlike this, in words for "changed while being read (...)"; null when it is the same file. */
  String change(FileIdentity now) {
    if (!Objects.equals(now.key, key)) return "another file now has its name";
    if (now.size != size) return sizeChange(now.size);
    if (!now.modified.equals(modified)) return "its modification time is " + now.modified + ", it was " + modified + " when opened: was it overwritten in place?";
    if (!Objects.equals(now.changed, changed)) {
      // the modification time put back (cp -p, rsync -t); a chmod, a new link or an extended attribute
      // move the ctime too, and are not told apart from it
      return "its change time (ctime) is " + now.changed + ", it was " + changed
          + " when opened: was it overwritten in place, or its permissions or links changed?";
    }
    return null;
  }

  /** The file now has {@code now} bytes: in words as {@link #change} gives them. */
  String sizeChange(long now) {
    return "it has " + now + " bytes, it had " + size + " when opened: was it overwritten in place?";
  }
}
