package netc.passes;

import netc.ir.Graph;

/** Watches the pipeline: printing, dumping and verifying are instruments, never code inside passes. */
public interface Instrument {
  default void start(Graph input) {}

  default void after(Pass pass, Graph before, Graph after) {}
}
