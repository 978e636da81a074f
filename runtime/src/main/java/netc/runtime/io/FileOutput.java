package netc.runtime.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import netc.runtime.BadInputException;

/**
 * An output file written whole or not at all: into a temporary file beside the target, moved over
 * it once complete. On a failure the temporary file is deleted and a file already at the target is
 * left as it was, never truncated or half-written; the failure is a {@link BadInputException} whose
 * message is the line to print, {@code cannot write FILE: reason}. A target that exists and is not
 * a regular file (a device, a pipe, a process's stream such as {@code /dev/stdout}) is written
 * directly. A regular file that cannot be replaced is refused rather than written over in place,
 * where a failure midway would leave it half-written: one in a folder this user may not write (no
 * temporary file can be made beside it) and a mount point (a file bind-mounted into a container,
 * which the system refuses to replace as busy).
 *
 * <p>The temporary files being written are deleted by a shutdown hook if the JVM exits before they
 * are moved into place or deleted (Ctrl-C, SIGTERM, System.exit), and so are the temporary folders
 * registered with {@link #registerTemporary}: an interrupted command leaves no {@code OUT.<hex>.tmp}
 * and no work folder behind.
 */
public final class FileOutput {
  private FileOutput() {}

  /**
   * The temporary files and folders the shutdown hook deletes: each is taken off by whoever deletes it
   * or moves it into place, so the hook deletes only what it takes off itself, never a file committed.
   */
  private static final Set<Path> TEMPORARY = ConcurrentHashMap.newKeySet();

  /** Guards the shutdown hook's add and removal, and the registering of a temporary beside them. */
  private static final Object HOOK_LOCK = new Object();

  /** The shutdown hook while it is on the JVM's list; null when not. */
  private static volatile Thread hookThread;

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
        // a process's stream is appended to, never truncated: its stdout redirected with >> (or after its own
        // output) keeps what it holds
        write(Files.newOutputStream(target, StandardOpenOption.WRITE, StandardOpenOption.APPEND), body, null);
        return new Staged(target, target, null);
      }
      if (processStream(target)) { // not there: the stream is closed (>&-); replacing /dev/stdout's link with a file would be wrong
        throw new BadInputException("cannot write " + target + ": this process has no such stream open");
      }
      if (Files.isSymbolicLink(target)) file = Files.exists(target) ? target.toRealPath() : linkTarget(target); // written through, kept
      return new Staged(target, file, writeBeside(target, file, body));
    } catch (IOException e) {
      throw failure(target, e);
    }
  }

  /**
   * Where a link that leads to nothing yet points, through any links on the way (as the shell's {@code >} creates
   * it): a link replaced by the output, as netc once did, left the file it named uncreated.
   */
  private static Path linkTarget(Path link) throws IOException {
    Path at = link.toAbsolutePath();
    for (int hops = 0; Files.isSymbolicLink(at); hops++) {
      if (hops == 40) throw new java.nio.file.FileSystemException(link.toString(), null, "too many levels of symbolic links");
      // from the folder the link really is in, as the kernel reads it: "..", and a folder that is itself a link,
      // are taken on the disk, not in the text
      Path folder = at.getParent();
      try {
        folder = folder.toRealPath();
      } catch (IOException e) {
        // no such folder: the write names it
      }
      at = folder.resolve(Files.readSymbolicLink(at));
    }
    return at;
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
   * Whether {@code target} names this process's standard output: /dev/stdout, /dev/fd/1, /proc/self/fd/1
   * or /proc/PID/fd/1 of this process (by its name alone: nothing is opened). A command writing its output
   * there prints its status lines ("wrote ...") to standard error, or they would end up in the data.
   */
  public static boolean isStandardOutput(Path target) {
    Path abs = target.toAbsolutePath().normalize();
    return abs.equals(Path.of("/dev/stdout")) || abs.equals(Path.of("/dev/fd/1")) || abs.equals(Path.of("/proc/self/fd/1"))
        || abs.equals(Path.of("/proc/thread-self/fd/1")) || abs.equals(Path.of("/proc/" + ProcessHandle.current().pid() + "/fd/1"));
  }

  /**
   * Writes {@code body} to a new temporary file beside {@code file}, which it returns (and deletes if
   * the writing fails). A regular file in a folder this user may not write is refused: it cannot be
   * replaced whole, and writing it in place (as netc once did) would leave it half-written on a failure.
   */
  private static Path writeBeside(Path target, Path file, Body body) throws IOException {
    addHook(); // before the file is made: no signal between making and registering it finds no hook
    java.nio.file.attribute.FileAttribute<?>[] like = permissionsOf(file);
    for (int attempt = 0; ; attempt++) {
      Path tmp = beside(file, ".tmp");
      OutputStream raw;
      try {
        raw = durable(FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), like));
      } catch (FileAlreadyExistsException e) {
        if (attempt == 10) throw e;
        continue;
      } catch (FileSystemException e) {
        // refused for the folder: permission denied, or "Operation not permitted" (an immutable folder, even for root)
        boolean refused = e instanceof AccessDeniedException || "Operation not permitted".equals(e.getReason());
        if (refused && Files.isRegularFile(file)) throw folderNotWritable(target, file.toAbsolutePath().getParent());
        throw e;
      }
      registerTemporary(tmp); // once made: a name taken by another file is never the hook's to delete
      write(raw, body, tmp);
      return tmp;
    }
  }

  /**
   * A temporary file's stream that is forced to the disk before it closes. Without it the move that puts
   * the file in place may reach the disk before its data: after a power loss or a kernel crash the target
   * could be empty or have holes, the old file gone (ext4 without auto_da_alloc, XFS).
   */
  private static OutputStream durable(FileChannel channel) {
    return new FilterOutputStream(Channels.newOutputStream(channel)) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len); // whole, not byte by byte as FilterOutputStream's
      }

      @Override
      public void close() throws IOException {
        try (channel) {
          channel.force(true);
        }
      }
    };
  }

  /**
   * Forces a folder's entries to the disk once a file was moved into it, so the move outlives a crash too.
   * Best effort: some systems cannot open a folder as a channel (Windows), and the move is made by then.
   */
  private static void forceFolder(Path folder) {
    if (folder == null) return;
    try (FileChannel f = FileChannel.open(folder, StandardOpenOption.READ)) {
      f.force(true);
    } catch (IOException | RuntimeException ignored) {
      // nothing more can be done here; the file is in place
    }
  }

  /** Writes {@code body} to {@code raw} and closes it; on a failure deletes {@code tmp}, if given. */
  private static void write(OutputStream raw, Body body, Path tmp) throws IOException {
    try (OutputStream out = new BufferedOutputStream(raw, 1 << 16)) {
      body.write(out);
    } catch (IOException | RuntimeException | Error e) {
      deleteTemporary(tmp);
      throw e;
    }
  }

  /**
   * Whether {@code a} and {@code b} name one file: the same path, or (both existing) one file through a
   * link. What every command that writes an output checks against its inputs (netc's commands, a compiled
   * jar's --output), so that none writes over what it reads.
   */
  public static boolean sameFile(Path a, Path b) {
    if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) return true;
    try {
      return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    } catch (IOException e) {
      return false; // one cannot be read: it is not the other
    }
  }

  /**
   * Refuses early (before minutes of work) an output path that cannot be written, or (a regular file,
   * through its links, in a folder this user may not write) cannot be replaced whole, as writing it
   * would refuse it at the end.
   */
  public static void checkWritable(Path target) {
    if (Files.isSymbolicLink(target) && !Files.exists(target)) { // a link to a file not yet there: that file's folder is written
      try {
        target = linkTarget(target);
      } catch (IOException e) {
        throw failure(target, e);
      }
    }
    Path dir = target.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir)) throw new BadInputException("cannot write " + target + ": no such directory " + dir);
    if (Files.isDirectory(target)) throw new BadInputException("cannot write " + target + ": it is a directory");
    if (Files.exists(target) ? !Files.isWritable(target) : !Files.isWritable(dir)) {
      throw new BadInputException("cannot write " + target + ": permission denied");
    }
    if (Files.isRegularFile(target) && !processStream(target)) { // a process's stream is appended to in place, not replaced
      Path folder;
      try {
        folder = target.toRealPath().getParent();
      } catch (IOException e) {
        return; // FileOutput says what is wrong when it writes
      }
      if (!Files.isWritable(folder)) throw folderNotWritable(target, folder);
    }
  }

  /**
   * The refusal of an existing regular file {@code target} (its real file in {@code folder}) that
   * cannot be replaced whole because this user may not write its folder.
   */
  public static BadInputException folderNotWritable(Path target, Path folder) {
    return new BadInputException("cannot write " + target + ": its folder " + folder
        + " is not writable, so it cannot be replaced whole (write it elsewhere, or make the folder writable)");
  }

  /**
   * Commits staged files as one: each file a commit replaces is kept beside it (a hard link, else a
   * copy) until all are in place, and put back if a later commit fails; a file that was not there before
   * is deleted again. So a command writing two files that belong together (`netc import`'s spec and
   * weights) leaves both new or both as they were, not new weights beside an old spec.
   */
  public static void commitAll(Staged... staged) {
    java.util.List<Path[]> done = new java.util.ArrayList<>(); // {file, what it was (null: nothing)}
    boolean whole = false;
    try {
      for (Staged s : staged) {
        Path kept = s.tmp == null ? null : keep(s);
        try {
          s.commit();
        } catch (RuntimeException | Error e) {
          deleteTemporary(kept);
          throw e;
        }
        if (s.tmp != null) done.add(new Path[] {s.file, kept});
      }
      whole = true;
    } finally {
      for (Path[] d : done) {
        if (whole) deleteTemporary(d[1]);
        else putBack(d[0], d[1]);
      }
    }
  }

  /**
   * A name beside {@code file} for a file of this write's own: FILE.<random hex>.SUFFIX, with FILE cut
   * short (whole characters) where the name would pass the 255 bytes a file name may have on Linux, macOS
   * and Windows: a legal name of up to 255 bytes was refused as "File name too long" after the work.
   */
  private static Path beside(Path file, String suffix) {
    String name = file.getFileName().toString(), tail = "." + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) + suffix;
    int room = MAX_NAME_BYTES - tail.length(); // the tail is ASCII
    byte[] utf8 = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (utf8.length > room) {
      int cut = room;
      while (cut > 0 && (utf8[cut] & 0xc0) == 0x80) cut--; // not inside a character: back to its first byte
      name = new String(utf8, 0, cut, java.nio.charset.StandardCharsets.UTF_8);
    }
    return file.resolveSibling(name + tail);
  }

  /** The longest file name, in bytes, the usual file systems take (ext4, XFS, APFS; NTFS counts 255 UTF-16 units). */
  static final int MAX_NAME_BYTES = 255;

  /** A copy of the file {@code s} replaces, beside it (registered as temporary), or null when there is none. */
  private static Path keep(Staged s) {
    if (!Files.isRegularFile(s.file)) return null;
    Path kept = beside(s.file, ".old");
    registerTemporary(kept);
    try {
      try {
        Files.createLink(kept, s.file);
      } catch (IOException | UnsupportedOperationException noLink) {
        Files.copy(s.file, kept, StandardCopyOption.COPY_ATTRIBUTES);
      }
      return kept;
    } catch (IOException e) {
      deleteTemporary(kept);
      throw new BadInputException("cannot write " + s.target + ": cannot keep the file it replaces until the others are written: " + reason(e), e);
    }
  }

  /** Puts back what {@code file} was before a commit: {@code kept}, or nothing. Best effort: the failure that caused it is what is reported. */
  private static void putBack(Path file, Path kept) {
    try {
      if (kept == null) {
        Files.deleteIfExists(file);
      } else {
        Files.move(kept, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        TEMPORARY.remove(kept);
      }
    } catch (IOException | RuntimeException ignored) {
      // the kept file stays for the shutdown hook; the new file stays in place
    }
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
      // off the shutdown hook's list before the move: the hook deletes only what it takes off the list itself
      if (!TEMPORARY.remove(tmp)) throw new BadInputException("cannot write " + target + ": interrupted, the JVM is exiting");
      try {
        keepPermissions(tmp, file);
        try {
          Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        committed = true;
        forceFolder(file.toAbsolutePath().getParent());
      } catch (IOException e) {
        // a file the system will not replace (bind-mounted into a container: "Device or resource busy") is not
        // copied over in place either, where a failure midway would leave it half-written: the old file stays
        boolean busy = e instanceof FileSystemException f && f.getReason() != null && f.getReason().contains("busy");
        if (busy && Files.isRegularFile(file)) {
          throw new BadInputException("cannot write " + target + ": " + reason(e) + " (a mount point, such as a file bind-mounted"
              + " into a container, cannot be replaced whole: write it to another path)", e);
        }
        throw failure(target, e);
      }
    }

    /** Deletes the temporary file unless it was committed. */
    @Override
    public void close() {
      if (!committed) deleteTemporary(tmp);
    }
  }

  /** A replaced file keeps its permissions (a 0600 file stays private). */
  /**
   * The permissions of the file a temporary replaces, for the temporary to be made with (the umask may take more away;
   * {@link #keepPermissions} sets them exactly at the commit): made with the default ones, a private file's
   * replacement (0600) was readable by others (0644) while it was written, and an open handle kept it so.
   */
  private static java.nio.file.attribute.FileAttribute<?>[] permissionsOf(Path file) {
    try {
      if (Files.isRegularFile(file)) {
        return new java.nio.file.attribute.FileAttribute<?>[] {
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(Files.getPosixFilePermissions(file))};
      }
    } catch (IOException | UnsupportedOperationException ignored) {
      // not POSIX, or not ours to read: the default permissions, as keepPermissions leaves them
    }
    return new java.nio.file.attribute.FileAttribute<?>[0];
  }

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

  /**
   * Why {@code path} can be neither found nor ruled out ({@link Files#exists} and {@link
   * Files#notExists} both false): the reason its attributes cannot be read, "permission denied" when
   * a folder on its path may not be searched by this user.
   */
  public static String unreachable(Path path) {
    try {
      Files.readAttributes(path, BasicFileAttributes.class);
      return "it changed while it was checked";
    } catch (IOException e) {
      return reason(e);
    }
  }

  /**
   * A new folder in the system's temporary folder (a compile's work folder), registered for the
   * shutdown hook to delete if the JVM exits before {@link #unregisterTemporary} (Ctrl-C, SIGTERM,
   * System.exit). The hook is added before the folder is made.
   */
  public static Path createTemporaryFolder(String prefix) throws IOException {
    addHook();
    Path folder = Files.createTempDirectory(prefix);
    registerTemporary(folder);
    return folder;
  }

  /**
   * Registers a temporary file or folder for the shutdown hook to delete if the JVM exits before
   * {@link #unregisterTemporary} (Ctrl-C, SIGTERM, System.exit). The hook is added with the first one.
   */
  public static void registerTemporary(Path fileOrFolder) {
    synchronized (HOOK_LOCK) { // with the hook's add: removeHookIfIdle between the two would leave it registered with no hook
      addHook();
      TEMPORARY.add(fileOrFolder);
    }
  }

  /** Adds the shutdown hook that deletes the registered temporary files and folders, once (again after {@link #removeHookIfIdle}). */
  private static void addHook() {
    if (hookThread != null) return;
    synchronized (HOOK_LOCK) {
      if (hookThread != null) return;
      Thread hook = new Thread(FileOutput::deleteTemporaries, "netc-delete-temporary-files");
      hook.setContextClassLoader(null); // not the first writer's (a web application's, say), which the JVM's list of hooks would keep
      try {
        Runtime.getRuntime().addShutdownHook(hook);
        hookThread = hook;
      } catch (IllegalStateException exiting) {
        // the JVM is already exiting: the caller's own cleanup is all there is
      }
    }
  }

  /**
   * Takes the shutdown hook off the JVM's list when no temporary file is registered: the list would keep this
   * class, and the class loader of an application that loaded it (a web application undeployed), until the JVM
   * exits. The next file written adds it again. {@code CompiledModel.shutdownThreads} calls this.
   *
   * @return whether no hook is left (false: temporaries are registered, or the JVM is exiting)
   */
  public static boolean removeHookIfIdle() {
    synchronized (HOOK_LOCK) {
      if (hookThread == null) return true;
      if (!TEMPORARY.isEmpty()) return false;
      try {
        Runtime.getRuntime().removeShutdownHook(hookThread);
      } catch (IllegalStateException exiting) {
        return false;
      }
      hookThread = null;
      return true;
    }
  }

  /** Whether the shutdown hook is on the JVM's list now (what a test reads). */
  static boolean hooked() {
    return hookThread != null;
  }

  /**
   * Takes {@code fileOrFolder} off the shutdown hook's list, once it is deleted or moved into place.
   * False if it was not on it: the hook has taken it (and deletes it), or it was never registered.
   */
  public static boolean unregisterTemporary(Path fileOrFolder) {
    return TEMPORARY.remove(fileOrFolder);
  }

  /**
   * What the shutdown hook runs: deletes every registered temporary file and folder still on the list,
   * taking each off first, so one being moved into place (taken off by its commit) is never touched.
   * Only deletions: it waits for nothing, so an exit is not held up.
   */
  static void deleteTemporaries() {
    for (Path p : TEMPORARY) {
      if (!TEMPORARY.remove(p)) continue;
      // a thread still writing into a folder (a compile's packed weights, its classes) may make a file after
      // the walk passed and before the folder's removal, which then fails: a few more passes (the JVM is
      // exiting, the writer stops soon); each pass is quick, so the exit is not held up
      for (int pass = 0; pass < 20 && Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS); pass++) deleteTree(p);
    }
  }

  /** Deletes a file, or a folder and what it holds (links not followed), ignoring what cannot be deleted. */
  private static void deleteTree(Path p) {
    try {
      Files.walkFileTree(p, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
          deleteQuietly(f);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path f, IOException e) {
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) {
          deleteQuietly(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException | RuntimeException ignored) {
      // exiting: what cannot be deleted stays
    }
  }

  /** Deletes a temporary file and takes it off the shutdown hook's list. */
  private static void deleteTemporary(Path tmp) {
    if (tmp == null) return;
    deleteQuietly(tmp);
    TEMPORARY.remove(tmp);
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
