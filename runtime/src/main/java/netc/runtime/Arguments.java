package netc.runtime;

/**
 * Argument checks the API shares. A class of its own: {@link Preprocess}'s calls must not initialize
 * {@link CompiledModel} (and with it the kernels, which warn where the Vector API is missing).
 */
final class Arguments {
  private Arguments() {}

  /**
   * Refuses a null argument by its name ("input: null"), as the other argument checks do: an IllegalArgumentException
   * throughout the API, where the JDK's NullPointerException named a field inside it.
   */
  static void notNull(Object argument, String name) {
    if (argument == null) throw new IllegalArgumentException(name + ": null");
  }
}
