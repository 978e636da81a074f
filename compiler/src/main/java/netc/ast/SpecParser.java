package netc.ast;

import java.util.ArrayList;
import java.util.List;
import netc.ast.Ast.*;
import netc.grammar.NetLexer;
import netc.grammar.NetParser;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.TerminalNode;

/** Parses one spec file into its AST; stops at the first syntax error. */
public final class SpecParser {
  private final SourceFile file;

  private SpecParser(SourceFile file) {
    this.file = file;
  }

  public static Spec parse(SourceFile file) {
    return new SpecParser(file).parse();
  }

  private Spec parse() {
    NetLexer lexer = new NetLexer(CharStreams.fromString(file.text(), file.displayName()));
    NetParser parser = new NetParser(new CommonTokenStream(lexer));
    ThrowingListener listener = new ThrowingListener();
    lexer.removeErrorListeners();
    parser.removeErrorListeners();
    lexer.addErrorListener(listener);
    parser.addErrorListener(listener);
    return spec(parser.spec());
  }

  /** Turns ANTLR's first syntax error into a NetcException with a location. */
  private final class ThrowingListener extends BaseErrorListener {
    @Override
    public void syntaxError(
        Recognizer<?, ?> recognizer,
        Object offending,
        int line,
        int column,
        String msg,
        RecognitionException e) {
      int length = 1;
      if (offending instanceof Token token && token.getType() != Token.EOF) {
        length = Math.max(1, token.getStopIndex() - token.getStartIndex() + 1);
        if (token.getType() == NetLexer.BAD_CHAR) {
          msg = "unexpected character '" + token.getText() + "'";
        }
      }
      throw new NetcException(new Span(file, line, column + 1, length), clean(msg));
    }
  }

  private static String clean(String msg) {
    return msg.replace("mismatched input", "unexpected")
        .replace("extraneous input", "unexpected")
        .replace("no viable alternative at input", "cannot parse")
        .replace("'<EOF>'", "end of file")
        .replace("<EOF>", "end of file");
  }

  private Span span(ParserRuleContext ctx) {
    Token start = ctx.getStart();
    Token stop = ctx.getStop() == null ? start : ctx.getStop();
    int length = start.getLine() == stop.getLine()
        ? stop.getStopIndex() - start.getStartIndex() + 1
        : file.line(start.getLine()).length() - start.getCharPositionInLine();
    return new Span(file, start.getLine(), start.getCharPositionInLine() + 1, Math.max(1, length));
  }

  private Span span(TerminalNode node) {
    Token t = node.getSymbol();
    return new Span(file, t.getLine(), t.getCharPositionInLine() + 1, t.getText().length());
  }

  private Spec spec(NetParser.SpecContext ctx) {
    List<Import> imports = new ArrayList<>();
    List<ParamDecl> params = new ArrayList<>();
    List<BlockDecl> blocks = new ArrayList<>();
    List<Stmt> body = new ArrayList<>();
    InputDecl input = null;
    for (NetParser.ItemContext item : ctx.item()) {
      if (item.importDecl() != null) {
        String path = unquote(item.importDecl().STRING().getText());
        imports.add(new Import(path, span(item.importDecl().STRING())));
      } else if (item.paramDecl() != null) {
        NetParser.ParamDeclContext p = item.paramDecl();
        params.add(new ParamDecl(p.IDENT().getText(), expr(p.expr()), span(p.IDENT())));
      } else if (item.blockDecl() != null) {
        blocks.add(block(item.blockDecl()));
      } else if (item.inputDecl() != null) {
        InputDecl decl = new InputDecl(args(item.inputDecl().args()), span(item.inputDecl()));
        if (input != null) throw new NetcException(decl.span(), "the input is declared twice");
        input = decl;
      } else {
        body.add(stmt(item.stmt()));
      }
    }
    return new Spec(file, imports, params, blocks, input, body);
  }

  private BlockDecl block(NetParser.BlockDeclContext ctx) {
    List<Formal> formals = new ArrayList<>();
    for (NetParser.FormalContext f : ctx.formal()) {
      formals.add(new Formal(f.IDENT().getText(), f.expr() == null ? null : expr(f.expr()), span(f)));
    }
    return new BlockDecl(ctx.IDENT().getText(), formals, stmts(ctx.body()), span(ctx.IDENT()));
  }

  private List<Stmt> stmts(NetParser.BodyContext body) {
    List<Stmt> out = new ArrayList<>();
    for (NetParser.StmtContext s : body.stmt()) out.add(stmt(s));
    return out;
  }

  private Stmt stmt(NetParser.StmtContext ctx) {
    if (ctx instanceof NetParser.LayerStmtContext layer) {
      Name name = layer.name() == null ? null : name(layer.name());
      NetParser.CallContext c = layer.call();
      List<Arg> args = c.args() == null ? List.of() : args(c.args());
      Call call = new Call(c.IDENT().getText(), args, span(c.IDENT()));
      return new LayerStmt(name, call, span(layer));
    }
    if (ctx instanceof NetParser.ForStmtContext loop) {
      return new ForStmt(
          loop.IDENT().getText(),
          expr(loop.expr(0)),
          expr(loop.expr(1)),
          stmts(loop.body()),
          span(loop.FOR()));
    }
    NetParser.ResidualStmtContext res = (NetParser.ResidualStmtContext) ctx;
    boolean hasShortcut = res.SHORTCUT() != null;
    return new ResidualStmt(
        stmts(res.body(0)),
        hasShortcut ? name(res.name()) : null,
        hasShortcut ? stmts(res.body(1)) : null,
        span(res.RESIDUAL()));
  }

  private Name name(NetParser.NameContext ctx) {
    if (ctx.expr() != null) return new Name(null, expr(ctx.expr()), span(ctx));
    if (ctx.STRING() != null) {
      String text = unquote(ctx.STRING().getText());
      if (text.isEmpty() || text.contains(".")) {
        throw new NetcException(span(ctx), "a quoted layer name must be non-empty and contain no '.', which separates scopes");
      }
      return new Name(text, null, span(ctx));
    }
    return new Name(ctx.getText(), null, span(ctx));
  }

  private static String unquote(String raw) {
    return raw.substring(1, raw.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
  }

  private List<Arg> args(NetParser.ArgsContext ctx) {
    List<Arg> out = new ArrayList<>();
    for (NetParser.ArgContext a : ctx.arg()) {
      out.add(new Arg(a.IDENT() == null ? null : a.IDENT().getText(), expr(a.expr()), span(a)));
    }
    return out;
  }

  private Expr expr(NetParser.ExprContext ctx) {
    Span span = span(ctx);
    if (ctx instanceof NetParser.ParenExprContext p) return expr(p.expr());
    if (ctx instanceof NetParser.NegExprContext n) return new Neg(expr(n.expr()), span);
    if (ctx instanceof NetParser.MulExprContext m) {
      return new Binary(m.op.getText().charAt(0), expr(m.expr(0)), expr(m.expr(1)), span);
    }
    if (ctx instanceof NetParser.AddExprContext a) {
      return new Binary(a.op.getText().charAt(0), expr(a.expr(0)), expr(a.expr(1)), span);
    }
    if (ctx instanceof NetParser.IntExprContext i) {
      try {
        return new IntLit(Long.parseLong(i.getText()), span);
      } catch (NumberFormatException e) {
        throw new NetcException(span, "integer too large");
      }
    }
    if (ctx instanceof NetParser.FloatExprContext f) return new FloatLit(Double.parseDouble(f.getText()), span);
    if (ctx instanceof NetParser.BoolExprContext b) return new BoolLit(b.TRUE() != null, span);
    if (ctx instanceof NetParser.RefExprContext r) return new Ref(r.getText(), span);
    NetParser.ListExprContext l = (NetParser.ListExprContext) ctx;
    return new ListLit(l.expr().stream().map(this::expr).toList(), span);
  }
}
