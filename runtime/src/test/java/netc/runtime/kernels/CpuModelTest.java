package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The CPU named in --info and the bench's header: from /proc/cpuinfo as x86 and ARM Linux write it, from the OS elsewhere. */
class CpuModelTest {
  @Test
  void x86NamesItsModel() {
    assertEquals("AMD EPYC 7763 64-Core Processor", Kernels.cpuModel(List.of("processor\t: 0", "vendor_id\t: AuthenticAMD",
        "model name\t: AMD EPYC 7763 64-Core Processor", "flags\t\t: fpu avx2"), "amd64"));
  }

  /** ARM's cpuinfo has no model name: the core is named from its implementer and part (a Graviton3 here), or given by number. */
  @Test
  void armNamesItsCoreFromTheImplementerAndPart() {
    List<String> graviton3 = List.of("processor\t: 0", "BogoMIPS\t: 2100.00", "Features\t: fp asimd sve", "CPU implementer\t: 0x41",
        "CPU architecture: 8", "CPU variant\t: 0x1", "CPU part\t: 0xd40", "CPU revision\t: 1");
    assertEquals("ARM Neoverse-V1 (aarch64)", Kernels.cpuModel(graviton3, "aarch64"));
    assertEquals("Ampere part 0xac3 (aarch64)", Kernels.cpuModel(List.of("CPU implementer\t: 0xC0", "CPU part\t: 0xAC3"), "aarch64"));
    assertEquals("ARM part 0xfff (aarch64)", Kernels.cpuModel(List.of("CPU implementer\t: 0x41", "CPU part\t: 0xfff"), "aarch64"));
    assertEquals("aarch64", Kernels.cpuModel(List.of("processor\t: 0", "CPU implementer\t: 0x41"), "aarch64"), "no part: the architecture");
    assertEquals("amd64", Kernels.cpuModel(List.of(), "amd64"));
  }

  /** Windows: the name from the registry's entry for processor 0, as reg query prints it. */
  @Test
  void windowsNamesItsModelFromTheRegistry() {
    List<String> reg = List.of("", "HKEY_LOCAL_MACHINE\\HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0",
        "    ProcessorNameString    REG_SZ    Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz", "");
    assertEquals("Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz", Kernels.windowsProcessorName(reg));
    assertNull(Kernels.windowsProcessorName(List.of("ERROR: The system was unable to find the specified registry key or value.")));
    assertNull(Kernels.windowsProcessorName(List.of("    ProcessorNameString    REG_SZ    ")));
  }

  /** A command's output within two seconds; none for one that fails, cannot start, or hangs (it is not waited for past that). */
  @Test
  void aCommandsOutputOrNone() {
    org.junit.jupiter.api.Assumptions.assumeTrue(new java.io.File("/bin/sh").canExecute(), "a POSIX shell");
    assertEquals(List.of("Apple M2 Pro"), Kernels.commandOutput("/bin/sh", "-c", "echo 'Apple M2 Pro'"));
    assertEquals(List.of(), Kernels.commandOutput("/bin/sh", "-c", "echo half; exit 3"));
    assertEquals(List.of(), Kernels.commandOutput("no-such-command-netc"));
    long t0 = System.nanoTime();
    assertEquals(List.of(), Kernels.commandOutput("/bin/sh", "-c", "sleep 30"));
    assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "given up after about two seconds");
  }
}
