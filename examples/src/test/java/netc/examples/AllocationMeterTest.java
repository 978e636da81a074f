package netc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AllocationMeterTest {
  /** Threads whose counters the test sets: id -> [bytes so far], name by id; a removed thread is gone. */
  private static final class FakeThreads implements AllocationMeter.Threads {
    final Map<Long, long[]> bytes = new LinkedHashMap<>();
    final Map<Long, String> names = new LinkedHashMap<>();

    void add(long id, String name) {
      bytes.put(id, new long[] {1_000});
      names.put(id, name);
    }

    void allocate(long id, long n) {
      bytes.get(id)[0] += n;
    }

    @Override
    public long[] ids() {
      return bytes.keySet().stream().mapToLong(Long::longValue).toArray();
    }

    @Override
    public long[] allocatedBytes(long[] ids) {
      return Arrays.stream(ids).map(id -> bytes.containsKey(id) ? bytes.get(id)[0] : -1).toArray();
    }

    @Override
    public String name(long id) {
      return names.get(id);
    }
  }

  @Test
  void theCallerAndThePoolsWorkersAreNetcsEveryOtherThreadIsApart() {
    FakeThreads t = new FakeThreads();
    t.add(1, "bench-caller"); // netc's by being the caller, whatever its name
    t.add(7, "netc-worker-1");
    t.add(9, "Common-Cleaner");
    AllocationMeter meter = new AllocationMeter(t, 1);
    for (int call = 0; call < 4; call++) {
      meter.start();
      if (call == 2) { // one call boxes: 3 MB on the caller, 1 MB on the worker
        t.allocate(1, 3_000_000);
        t.allocate(7, 1_000_000);
      }
      t.allocate(9, 2_000_000); // a cleaner working through another library's objects meanwhile
      meter.stop();
    }
    t.allocate(1, 50_000_000); // outside the calls: not counted
    assertEquals(1_000_000, meter.netcBytesPerCall());
    assertEquals(4_000_000, meter.largestNetcCall());
    assertEquals("bench-caller 3.0 MB, netc-worker-1 1.0 MB", meter.netcThreads());
    assertEquals(2_000_000, meter.otherBytesPerCall());
    assertEquals("Common-Cleaner 8.0 MB", meter.otherThreads());
  }

  @Test
  void threadsStartedOrEndedInsideACallAreNotCounted() {
    FakeThreads t = new FakeThreads();
    t.add(1, "main");
    t.add(5, "short-lived");
    AllocationMeter meter = new AllocationMeter(t, 1);
    meter.start();
    t.allocate(5, 7_000_000);
    t.bytes.remove(5L); // then ends inside the call: its counter reads -1
    t.names.remove(5L);
    t.add(6, "netc-worker-9"); // starts inside it, with what it allocated before
    t.allocate(6, 9_000_000);
    meter.stop();
    assertEquals(0, meter.netcBytesPerCall());
    assertEquals(0, meter.otherBytesPerCall());
    assertEquals("", meter.netcThreads());
  }

  @Test
  void aCleanRunCountsNothing() {
    FakeThreads t = new FakeThreads();
    t.add(1, "main");
    AllocationMeter meter = new AllocationMeter(t, 1);
    assertEquals(0, meter.netcBytesPerCall(), "before any call");
    for (int call = 0; call < 3; call++) {
      meter.start();
      meter.stop();
    }
    assertEquals(0, meter.netcBytesPerCall());
    assertEquals(0, meter.largestNetcCall());
  }
}
