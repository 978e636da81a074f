package netc.runtime.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import netc.runtime.BadInputException;

/**
 * An output file written whole or not at all: into a temporary file beside the target, moved over
 * it once complete. On a failure the temporary file is deleted and a file already at the target is
 * left as it was, never truncated or half-written; the failure is a {@link BadInputException} whose
 * message is the line to print, {@code cannot write FILE: reason}. A target that exists and is not
 * a regular file (a device, a pipe) is written directly.
 */
public final class FileOutput {
  private FileOutput() {}

  /** What writes the file's bytes. */
  public interface Body {
    void write(OutputStream out) throws IOException;
  }

  /** Writes {@code target} whole or not at all. */
  public static void write(Path target, Body body) {
    try (Staged staged = stage(target, body)) {
      staged.commit();
    }
  }

  /** Writes {@code text} as UTF-8 to {@code target}, whole or not at all. */
  public static void writeString(Path target, String text) {
    write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Writes {@code body} to a temporary file beside {@code target}: {@link Staged#commit()} moves it
   * into place, {@link Staged#close()} without a commit deletes it. Staging several files before
   * committing any leaves none of them half-made when one fails.
   */
  public static Staged stage(Path target, Body body) {
    Path file = target;
    try {
      if (Files.isDirectory(target)) throw new BadInputException("cannot write " + target + ": it is a directory");
      if (inPlace(target)) { // nothing to replace: written as it is
        writeTo(target, body, false, true);
        return new Staged(target, target, null);
      }
      if (Files.isSymbolicLink(target) && Files.exists(target)) file = target.toRealPath(); // write through the link, keep it
    } catch (IOException e) {
      throw failure(target, e);
    }
    Path tmp;
    try {
      tmp = writeTo(file, body, true, false);
    } catch (AccessDeniedException e) {
      // a folder this user may not write, holding a file they may (made for them): written in place, as before
      if (!Files.isRegularFile(file) || !Files.isWritable(file)) throw failure(target, e);
      try {
        writeTo(file, body, false, false);
      } catch (IOException again) {
        throw failure(target, again);
      }
      return new Staged(target, file, null);
    } catch (IOException e) {
      throw failure(target, e);
    }
    return new Staged(target, file, tmp);
  }

  /**
   * Whether {@code target} is written directly rather than replaced: what is there is no regular file
   * once links are followed (a pipe, a terminal, {@code /dev/null}), or it names a stream of this
   * process ({@code /dev/stdout}, {@code /dev/fd/N}, {@code /proc/self/fd/N}), which may be a pipe
   * (whose link the JDK cannot resolve) or a file opened for appending that must not be swapped for
   * another.
   */
  private static boolean inPlace(Path target) {
    if (processStream(target)) return Files.exists(target);
    return Files.exists(target) && !Files.isRegularFile(target);
  }

  /** /dev/stdout, /dev/stderr, /dev/fd/N, /proc/PID/fd/N: a stream of a process, not a file in a folder (/dev/shm's are files). */
  private static boolean processStream(Path target) {
    Path abs = target.toAbsolutePath().normalize();
    if (abs.equals(Path.of("/dev/stdout")) || abs.equals(Path.of("/dev/stderr"))) return true;
    if (abs.getParent() != null && abs.getParent().equals(Path.of("/dev/fd"))) return true;
    return abs.startsWith("/proc") && abs.getNameCount() == 4 && abs.getName(2).toString().equals("fd");
  }

  /**
   * Writes {@code body} to {@code file} (appending, for a process's stream or a device) or, {@code
   * beside}, to a new temporary file next to it, which it returns (and deletes if the writing fails).
   */
  private static Path writeTo(Path file, Body body, boolean beside, boolean append) throws IOException {
    Path tmp = null;
    OutputStream raw;
    if (beside) {
      for (int attempt = 0; ; attempt++) {
        tmp = file.resolveSibling(file.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) + ".tmp");
        try {
          raw = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          break;
        } catch (FileAlreadyExistsException e) {
          if (attempt == 10) throw e;
        }
      }
    } else {
      // a process's stream is appended to, never truncated: its stdout redirected with >> (or after its own
      // output) keeps what it holds; a regular file written in place is replaced
      raw = append ? Files.newOutputStream(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND) : Files.newOutputStream(file);
    }
    try (OutputStream out = new BufferedOutputStream(raw, 1 << 16)) {
      body.write(out);
    } catch (IOException | RuntimeException | Error e) {
      deleteQuietly(tmp);
      throw e;
    }
    return tmp;
  }

  /** A file written beside its target, not yet in place. */
  public static final class Staged implements AutoCloseable {
    private final Path target, file, tmp;
    private boolean committed;

    private Staged(Path target, Path file, Path tmp) {
      this.target = target;
      this.file = file;
      this.tmp = tmp;
    }

    /** Moves the file into place, replacing what was there. */
    public void commit() {
      if (committed || tmp == null) {
        committed = true;
        return;
      }
      try {
        keepPermissions(tmp, file);
        try {
          Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        committed = true;
      } catch (IOException e) {
        // a file that cannot be replaced (bind-mounted into a container: "Device or resource busy"): its
        // contents are, from the complete temporary file; any other failure leaves the old file as it was
        boolean busy = e instanceof FileSystemException f && f.getReason() != null && f.getReason().contains("busy");
        if (!busy || !Files.isRegularFile(file)) throw failure(target, e);
        try {
          try (OutputStream out = Files.newOutputStream(file)) {
            Files.copy(tmp, out);
          }
          committed = true;
          deleteQuietly(tmp);
        } catch (IOException again) {
          throw failure(target, again);
        }
      }
    }

    /** Deletes the temporary file unless it was committed. */
    @Override
    public void close() {
      if (!committed) deleteQuietly(tmp);
    }
  }

  /** A replaced file keeps its permissions (a 0600 file stays private). */
  private static void keepPermissions(Path tmp, Path file) {
    try {
      if (Files.isRegularFile(file)) Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(file));
    } catch (IOException | UnsupportedOperationException ignored) {
      // not POSIX, or not ours to read: the new file keeps the default permissions
    }
  }

  private static BadInputException failure(Path target, IOException e) {
    return new BadInputException("cannot write " + target + ": " + reason(e), e);
  }

  /** Why a file operation failed, in a few words: "permission denied", "No space left on device". */
  public static String reason(IOException e) {
    if (e instanceof AccessDeniedException) return "permission denied";
    if (e instanceof FileAlreadyExistsException) return "already exists";
    if (e instanceof NoSuchFileException n) {
      Path parent = n.getFile() == null ? null : Path.of(n.getFile()).toAbsolutePath().getParent();
      return parent != null && !Files.isDirectory(parent) ? "no such directory " + parent : "no such file or directory";
    }
    if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
    return e.getMessage() != null ? e.getMessage() : e.toString();
  }

  private static void deleteQuietly(Path tmp) {
    if (tmp == null) return;
    try {
      Files.deleteIfExists(tmp);
    } catch (IOException ignored) {
      // the failure being reported matters more than a leftover temporary file
    }
  }
}
