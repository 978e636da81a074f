package netc.passes;

import java.util.List;
import java.util.Set;

/**
 * What a pipeline run is configured with: the opt level, passes switched off by name, the
 * channel block of the blocked layout, and the instruments that watch every pass.
 */
public record PassContext(int optLevel, Set<String> disabled, int block, List<Instrument> instruments) {
  /** The highest level a pass has: -O runs the passes of its level and below, 0 only the required ones. */
  public static final int MAX_OPT_LEVEL = 2;

  public PassContext {
    // below 0 even the required passes were skipped (assign-layout), and the failure came later, far from its cause
    if (optLevel < 0 || optLevel > MAX_OPT_LEVEL) throw new IllegalArgumentException("optimization level " + optLevel + ": expected 0 to " + MAX_OPT_LEVEL);
    disabled = Set.copyOf(disabled);
    instruments = List.copyOf(instruments);
    // the code generator and kernels lay out 16 floats a pixel (Geometry): another block would size buffers it then overruns
    if (block != 16) throw new IllegalArgumentException("block " + block + ": the kernels of this version are written for 16");
  }

  public static PassContext defaults() {
    return new PassContext(2, Set.of(), 16, List.of());
  }

  public PassContext withInstruments(List<Instrument> more) {
    return new PassContext(optLevel, disabled, block, more);
  }

  public boolean enabled(Pass pass) {
    return pass.optLevel() <= optLevel && !disabled.contains(pass.name());
  }
}
