package netc.ast;

import java.util.List;

/** The abstract syntax of a spec file: what the parser produced, before anything is evaluated. */
public final class Ast {
  private Ast() {}

  /** One parsed file. {@code input} is null when the file declares none. */
  public record Spec(
      SourceFile file,
      List<Import> imports,
      List<ParamDecl> params,
      List<BlockDecl> blocks,
      InputDecl input,
      List<Stmt> body) {
    public Spec {
      imports = List.copyOf(imports);
      params = List.copyOf(params);
      blocks = List.copyOf(blocks);
      body = List.copyOf(body);
    }
  }

  public record Import(String path, Span span) {}

  public record ParamDecl(String name, Expr value, Span span) {}

  public record BlockDecl(String name, List<Formal> formals, List<Stmt> body, Span span) {
    public BlockDecl {
      formals = List.copyOf(formals);
      body = List.copyOf(body);
    }
  }

  /** A block parameter; {@code defaultValue} is null when the caller must pass it. */
  public record Formal(String name, Expr defaultValue, Span span) {}

  public record InputDecl(List<Arg> args, Span span) {
    public InputDecl {
      args = List.copyOf(args);
    }
  }

  /** A statement in a block or at top level. */
  public sealed interface Stmt permits LayerStmt, ForStmt, ResidualStmt, BranchesStmt, GateStmt {
    Span span();
  }

  /** {@code name: callee(args)}; {@code name} is null for an unnamed layer. */
  public record LayerStmt(Name name, Call call, Span span) implements Stmt {}

  /** {@code for var in from .. to { body }}: var runs over [from, to). */
  public record ForStmt(String var, Expr from, Expr to, List<Stmt> body, Span span)
      implements Stmt {
    public ForStmt {
      body = List.copyOf(body);
    }
  }

  /** {@code residual { body } shortcut name { shortcut }}; the shortcut part may be absent. */
  public record ResidualStmt(List<Stmt> body, Name shortcutName, List<Stmt> shortcut, Span span)
      implements Stmt {
    public ResidualStmt {
      body = List.copyOf(body);
      shortcut = shortcut == null ? null : List.copyOf(shortcut);
    }
  }

  /**
   * {@code concat { a } and { b } ...} or {@code sum { a } and { b } ...}: at least two branches on one input,
   * joined along channels or added.
   */
  public record BranchesStmt(List<Branch> branches, Join join, Span span) implements Stmt {
    public BranchesStmt {
      branches = List.copyOf(branches);
    }
  }

  /** How a {@link BranchesStmt} joins its branches' outputs. */
  public enum Join {
    /** Along channels, in the branches' order. */
    CONCAT,
    /** Added, element by element: the outputs agree in shape. */
    SUM
  }

  /** {@code gate { body }}: the input times the body's output, one value per channel. */
  public record GateStmt(List<Stmt> body, Span span) implements Stmt {
    public GateStmt {
      body = List.copyOf(body);
    }
  }

  /** One branch of a concat or a sum; {@code name} (or null) scopes its layers; an empty body is the identity. */
  public record Branch(Name name, List<Stmt> body, Span span) {
    public Branch {
      body = List.copyOf(body);
    }
  }

  /** A layer name: a literal ({@code conv1}, {@code 0}) or an interpolated expression ({@code {i}}). */
  public record Name(String literal, Expr expr, Span span) {}

  public record Call(String callee, List<Arg> args, Span span) {
    public Call {
      args = List.copyOf(args);
    }
  }

  /** An argument; {@code name} is null for a positional one. */
  public record Arg(String name, Expr value, Span span) {}

  /** Expressions over integers, floats, booleans, lists and block names. */
  public sealed interface Expr permits IntLit, FloatLit, BoolLit, Ref, ListLit, Neg, Binary {
    Span span();
  }

  public record IntLit(long value, Span span) implements Expr {}

  public record FloatLit(double value, Span span) implements Expr {}

  public record BoolLit(boolean value, Span span) implements Expr {}

  public record Ref(String name, Span span) implements Expr {}

  public record ListLit(List<Expr> items, Span span) implements Expr {
    public ListLit {
      items = List.copyOf(items);
    }
  }

  public record Neg(Expr operand, Span span) implements Expr {}

  public record Binary(char op, Expr left, Expr right, Span span) implements Expr {}
}
