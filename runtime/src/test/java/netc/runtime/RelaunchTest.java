package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which JVM options keep a compiled jar from restarting its JVM with the Vector API (JarTest runs the restart itself). */
class RelaunchTest {
  /**
   * An agent (native or Java) and a pre-touched heap must not run in two JVMs at once, as a debugger's port
   * must not: -javaagent, -agentpath, -agentlib other than jdwp and -XX:+AlwaysPreTouch were repeated in the
   * restarted JVM.
   */
  @Test
  void agentsAndAPreTouchedHeapRunInPlace() {
    for (String option : List.of("-javaagent:/opt/trace.jar=port=9000", "-agentpath:/opt/libprofiler.so=start", "-agentlib:hprof=cpu=samples",
        "-agentlib:jdwp=transport=dt_socket,server=y,address=5005", "-Xrunjdwp:transport=dt_socket", "-XX:+AlwaysPreTouch",
        "-Dcom.sun.management.jmxremote.port=9010", "-XX:StartFlightRecording=filename=a.jfr")) {
      assertEquals(option, Relaunch.notTwice(List.of("-Xmx1g", option, "-Dnetc.vectorBits=256")), option);
    }
  }

  /** The options a second JVM may repeat are passed on: the heap, properties, the vector width. */
  @Test
  void ordinaryOptionsRestart() {
    assertNull(Relaunch.notTwice(List.of("-Xmx1g", "-Xss4m", "-Dnetc.vectorBits=256", "-XX:MaxVectorSize=16", "-XX:-AlwaysPreTouch",
        "-XX:+UseParallelGC", "-Djava.io.tmpdir=/tmp/x")));
  }
}
