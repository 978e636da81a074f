package netc.examples;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import netc.runtime.ThreadPool;

/**
 * What the threads of this process allocate across the bench's timed netc calls, netc's own (the
 * calling thread and its pool's workers) kept apart from the rest. A warm forward pass allocates
 * nothing, so bytes on netc's threads mean a kernel ran without C2's vector intrinsics; bytes on
 * another thread in the same window (a cleaner, a JMX notifier) are not netc's and must not be
 * reported as if they were, which summing every thread did. A thread started inside a window is
 * not counted in it (netc's workers exist from the model's load), nor one that ended inside it.
 * The meter's own reading allocates its result on the caller, a few hundred bytes a call that count
 * as netc's: far below the bench's warning threshold.
 */
final class AllocationMeter {
  /** The JVM's per-thread allocation counters, as {@link com.sun.management.ThreadMXBean} gives them. */
  interface Threads {
    long[] ids();

    /** Bytes allocated so far by each thread, -1 for one that is gone. */
    long[] allocatedBytes(long[] ids);

    /** The thread's name, or null if it is gone. */
    String name(long id);
  }

  private final Threads threads;
  private final long caller;
  private final Map<Long, String> names = new HashMap<>();
  private final Map<String, Long> netcByThread = new TreeMap<>(), otherByThread = new TreeMap<>();
  private long[] ids, before;
  private long netcBytes, otherBytes, largestNetcCall;
  private int calls;

  AllocationMeter(Threads threads, long callerId) {
    this.threads = threads;
    this.caller = callerId;
  }

  /** A meter over this JVM's threads, netc called from the current thread. */
  static AllocationMeter forThisJvm() {
    var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    return new AllocationMeter(new Threads() {
      @Override
      public long[] ids() {
        return mx.getAllThreadIds();
      }

      @Override
      public long[] allocatedBytes(long[] ids) {
        return mx.getThreadAllocatedBytes(ids);
      }

      @Override
      public String name(long id) {
        var info = mx.getThreadInfo(id);
        return info == null ? null : info.getThreadName();
      }
    }, Thread.currentThread().getId());
  }

  /** Just before a timed netc call. */
  void start() {
    ids = threads.ids();
    before = threads.allocatedBytes(ids);
  }

  /** Just after it. */
  void stop() {
    long[] after = threads.allocatedBytes(ids);
    long call = 0;
    for (int i = 0; i < ids.length; i++) {
      if (before[i] < 0 || after[i] < 0 || after[i] <= before[i]) continue;
      long bytes = after[i] - before[i];
      String name = names.computeIfAbsent(ids[i], id -> {
        String n = threads.name(id);
        return n == null ? "thread " + id : n;
      });
      boolean netc = ids[i] == caller || name.startsWith(ThreadPool.WORKER_NAME_PREFIX);
      (netc ? netcByThread : otherByThread).merge(name, bytes, Long::sum);
      if (netc) {
        netcBytes += bytes;
        call += bytes;
      } else {
        otherBytes += bytes;
      }
    }
    largestNetcCall = Math.max(largestNetcCall, call);
    calls++;
  }

  long netcBytesPerCall() {
    return calls == 0 ? 0 : netcBytes / calls;
  }

  long otherBytesPerCall() {
    return calls == 0 ? 0 : otherBytes / calls;
  }

  long largestNetcCall() {
    return largestNetcCall;
  }

  /** "main 14.2 MB, netc-worker-1 0.3 MB": netc's threads (or the others), most first. */
  String netcThreads() {
    return describe(netcByThread);
  }

  String otherThreads() {
    return describe(otherByThread);
  }

  private static String describe(Map<String, Long> byThread) {
    return byThread.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .map(e -> String.format("%s %.1f MB", e.getKey(), e.getValue() / 1e6))
        .collect(Collectors.joining(", "));
  }
}
