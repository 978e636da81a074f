package netc.ir;

import netc.ast.Span;

/** A spec layer that a node came from: its hierarchical name, op, and where the spec wrote it. */
public record Origin(String layer, Op op, Span span) {
  @Override
  public String toString() {
    return layer + " (" + op.spelling() + ") at " + (span == null ? "?" : span.location());
  }
}
