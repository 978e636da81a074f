package netc.ast;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import netc.ast.Ast.*;
import netc.grammar.NetLexer;
import netc.grammar.NetParser;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.ParseTree;
import org.antlr.v4.runtime.tree.TerminalNode;

/**
 * Parses one spec file into its AST; stops at the first syntax error. The parser and the conversion
 * to the AST recurse once per level of nesting and per term of an expression, so both are measured
 * first, without recursion, and refused past {@link SpecLimit#NESTING} and
 * {@link SpecLimit#EXPRESSION_TERMS}: a located message instead of a StackOverflowError.
 */
public final class SpecParser {
  private final SourceFile file;
  /** The innermost bracket still open at the end of the file, if any, and the file's last token. */
  private Token unclosed, last;

  private SpecParser(SourceFile file) {
    this.file = file;
  }

  public static Spec parse(SourceFile file) {
    return new SpecParser(file).parse();
  }

  private Spec parse() {
    NetLexer lexer = new NetLexer(CharStreams.fromString(file.text(), file.displayName()));
    CommonTokenStream tokens = new CommonTokenStream(lexer);
    ThrowingListener listener = new ThrowingListener();
    lexer.removeErrorListeners();
    lexer.addErrorListener(listener);
    tokens.fill();
    checkTerminated(tokens.getTokens());
    checkNesting(tokens.getTokens());
    NetParser parser = new NetParser(tokens);
    parser.removeErrorListeners();
    parser.addErrorListener(listener);
    try {
      NetParser.SpecContext tree = parser.spec();
      checkExpressionSizes(tree);
      return spec(tree);
    } catch (StackOverflowError e) {
      // Only reachable with the limits raised past what the thread's stack holds.
      throw new NetcException(new Span(file, 1, 1, 1), "the spec nests too deeply for the Java stack; give java a larger -Xss");
    }
  }

  // ---- the tokens, checked before parsing ------------------------------------------------------

  /**
   * Refuses a comment or string that is never closed, at its start. The lexer makes each one token
   * (to the end of the file, or of the line), which the parser would only call unexpected, after
   * complaining about whatever the comment swallowed: a {@code '}'}, say.
   */
  private void checkTerminated(List<Token> tokens) {
    for (Token t : tokens) {
      if (t.getType() == NetLexer.UNTERMINATED_COMMENT) {
        throw new NetcException(new Span(file, t.getLine(), t.getCharPositionInLine() + 1, 2),
            "unterminated comment: no '*/' closes this '/*' before the end of the file");
      }
      if (t.getType() == NetLexer.UNTERMINATED_STRING) {
        throw new NetcException(new Span(file, t.getLine(), t.getCharPositionInLine() + 1, t.getStopIndex() - t.getStartIndex() + 1),
            "unterminated string: the line ends before its closing '\"'");
      }
    }
  }

  // ---- limits, checked without recursion before anything recurses ----------------------------

  /**
   * Refuses nesting past the limit, counted on the tokens: every open bracket is a level, and so is
   * every minus sign in a row ({@code - - x}), as the parser recurses for each. A sign run before a
   * bracket stays counted inside it, where the parser is still inside the sign.
   */
  private void checkNesting(List<Token> tokens) {
    long limit = SpecLimit.NESTING.get();
    Deque<Integer> signsAtOpen = new ArrayDeque<>();
    Deque<Token> open = new ArrayDeque<>(); // kept for a syntax error at the end of the file
    int enclosingSigns = 0, signs = 0;
    Token previous = null;
    for (Token t : tokens) {
      String text = t.getType() == Token.EOF ? "" : t.getText();
      if (text.equals("-") && !endsOperand(previous)) {
        signs++;
      } else if (text.equals("(") || text.equals("[") || text.equals("{")) {
        open.push(t);
        signsAtOpen.push(signs);
        enclosingSigns += signs;
        signs = 0;
      } else if ((text.equals(")") || text.equals("]") || text.equals("}")) && !signsAtOpen.isEmpty()) {
        open.pop();
        enclosingSigns -= signsAtOpen.pop();
        signs = 0;
      } else {
        signs = 0;
      }
      if (signsAtOpen.size() + enclosingSigns + signs > limit) {
        throw new NetcException(span(t), "nesting deeper than " + SpecLimit.NESTING.shown()
            + " levels (brackets, lists, block bodies and minus signs); " + SpecLimit.NESTING.raise());
      }
      if (t.getType() == Token.EOF) last = previous;
      previous = t;
    }
    unclosed = open.peek();
  }

  /** Whether a '-' after {@code t} subtracts (after an operand) rather than negates. */
  private static boolean endsOperand(Token t) {
    if (t == null) return false;
    return switch (t.getType()) {
      case NetLexer.INT, NetLexer.FLOAT, NetLexer.IDENT, NetLexer.TRUE, NetLexer.FALSE -> true;
      default -> t.getText().equals(")") || t.getText().equals("]");
    };
  }

  /**
   * Refuses an expression with more terms than the limit before it is converted: {@code 1+1+...}
   * parses into a tree as deep as it is long. Walks the parse tree with a stack of its own.
   */
  private void checkExpressionSizes(ParseTree tree) {
    long limit = SpecLimit.EXPRESSION_TERMS.get();
    Deque<ParseTree> todo = new ArrayDeque<>();
    todo.push(tree);
    while (!todo.isEmpty()) {
      ParseTree t = todo.pop();
      if (t instanceof NetParser.ExprContext root) {
        if (terms(root) > limit) {
          throw new NetcException(span(root.getStart()), "expression of more than " + SpecLimit.EXPRESSION_TERMS.shown() + " terms; " + SpecLimit.EXPRESSION_TERMS.raise());
        }
        continue; // an expression holds no statements, and its inner expressions are counted with it
      }
      for (int i = 0; i < t.getChildCount(); i++) todo.push(t.getChild(i));
    }
  }

  /** The numbers, names and booleans in one expression, counted without recursion. */
  private static long terms(NetParser.ExprContext root) {
    long count = 0;
    Deque<ParseTree> todo = new ArrayDeque<>();
    todo.push(root);
    while (!todo.isEmpty()) {
      ParseTree t = todo.pop();
      if (t instanceof NetParser.IntExprContext || t instanceof NetParser.FloatExprContext
          || t instanceof NetParser.BoolExprContext || t instanceof NetParser.RefExprContext) {
        count++;
      } else if (t instanceof NetParser.ExprContext) {
        for (int i = 0; i < t.getChildCount(); i++) todo.push(t.getChild(i));
      }
    }
    return count;
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
      if (offending instanceof Token token && token.getType() == Token.EOF) throw atEnd(recognizer, msg);
      int length = 1;
      if (offending instanceof Token token) {
        length = Math.max(1, token.getStopIndex() - token.getStartIndex() + 1);
        if (token.getType() == NetLexer.BAD_CHAR) {
          msg = "unexpected character " + character(token.getText().codePointAt(0));
        }
        // "block: conv(...)", as a spec after torchvision's MobileNetV3 or EfficientNet ("features.1.block.0") writes; ANTLR only
        // said what it expected
        Token before = recognizer instanceof Parser parser ? parser.getInputStream().LT(-1) : null;
        if (token.getText().equals(":") && before != null && isKeyword(before)) {
          throw new NetcException(new Span(file, before.getLine(), before.getCharPositionInLine() + 1, before.getText().length()), "'" + before.getText()
              + "' is a keyword: a layer of that name is written quoted, \"" + before.getText() + "\": ...");
        }
      }
      throw new NetcException(new Span(file, line, column + 1, length), clean(msg));
    }
  }

  /** Whether {@code t} is one of the language's keywords (a literal token spelled as a word: 'block', 'input', ...). */
  private static boolean isKeyword(Token t) {
    String literal = NetParser.VOCABULARY.getLiteralName(t.getType());
    return literal != null && literal.matches("'[a-z]+'");
  }

  /**
   * A syntax error at the end of the file, which ANTLR places past the last line, where there is
   * nothing to show: at the innermost bracket still open when its closer is among what the parser
   * expected (a block's forgotten '}'), otherwise just after the last token.
   */
  private NetcException atEnd(Recognizer<?, ?> recognizer, String msg) {
    if (unclosed != null && recognizer instanceof Parser parser && parser.getExpectedTokens().contains(closer(unclosed))) {
      return new NetcException(span(unclosed), "'" + unclosed.getText() + "' is never closed");
    }
    if (last == null) return new NetcException(new Span(file, 1, 1, 1), clean(msg));
    int end = last.getCharPositionInLine() + last.getStopIndex() - last.getStartIndex() + 1;
    return new NetcException(new Span(file, last.getLine(), end + 1, 1), clean(msg));
  }

  /** The token type of the bracket that closes {@code open}. */
  private static int closer(Token open) {
    String literal = "'" + switch (open.getText()) {
      case "(" -> ")";
      case "[" -> "]";
      default -> "}";
    } + "'";
    for (int type = 1; type <= NetParser.VOCABULARY.getMaxTokenType(); type++) {
      if (literal.equals(NetParser.VOCABULARY.getLiteralName(type))) return type;
    }
    throw new IllegalStateException("the grammar has no token " + literal);
  }

  /**
   * A character for a message: printable ASCII as itself, in quotes; anything else by its code point
   * and name ({@code U+00A0 NO-BREAK SPACE}), as a control character, a space other than ' ' or a
   * byte order mark printed as itself is invisible, and a look-alike (U+2212 MINUS SIGN) misleads.
   */
  private static String character(int codePoint) {
    if (codePoint > ' ' && codePoint < 0x7F) return "'" + Character.toString(codePoint) + "'";
    String name = Character.getName(codePoint);
    return String.format(Locale.ROOT, "U+%04X", codePoint) + (name == null ? "" : " " + name);
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
    // in code points, as ANTLR's indexes and columns are (an emoji is two chars of a String); the line's text only
    // where the span runs past it (a copy of the line for every node made a spec written on one line quadratic)
    int length;
    if (start.getLine() == stop.getLine()) {
      length = stop.getStopIndex() - start.getStartIndex() + 1;
    } else {
      String first = file.line(start.getLine());
      length = first.codePointCount(0, first.length()) - start.getCharPositionInLine();
    }
    return new Span(file, start.getLine(), start.getCharPositionInLine() + 1, Math.max(1, length));
  }

  private Span span(TerminalNode node) {
    return span(node.getSymbol());
  }

  private Span span(Token t) {
    int length = t.getType() == Token.EOF ? 1 : t.getStopIndex() - t.getStartIndex() + 1; // code points, as the column
    return new Span(file, t.getLine(), t.getCharPositionInLine() + 1, Math.max(1, length));
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
    Set<String> seen = new HashSet<>();
    for (NetParser.FormalContext f : ctx.formal()) {
      // a repeated name would bind the last argument to both, silently
      if (!seen.add(f.IDENT().getText())) {
        throw new NetcException(span(f.IDENT()), "parameter '" + f.IDENT().getText() + "' is declared twice");
      }
      formals.add(new Formal(f.IDENT().getText(), f.expr() == null ? null : expr(f.expr()), span(f)));
    }
    return new BlockDecl(ctx.IDENT().getText(), formals, stmts(ctx.body()), span(ctx.IDENT()));
  }

  private List<Stmt> stmts(NetParser.BodyContext body) {
    List<Stmt> out = new ArrayList<>();
    for (NetParser.StmtContext s : body.stmt()) out.add(stmt(s));
    return out;
  }

  /** The branches of a concat or a sum, each with its name (or null) and body. */
  private List<Branch> branches(List<NetParser.BranchContext> contexts) {
    List<Branch> branches = new ArrayList<>();
    for (NetParser.BranchContext b : contexts) {
      branches.add(new Branch(b.name() == null ? null : name(b.name()), stmts(b.body()), span(b.body().getStart())));
    }
    return branches;
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
    if (ctx instanceof NetParser.ConcatStmtContext cat) return new BranchesStmt(branches(cat.branch()), Join.CONCAT, span(cat.CONCAT()));
    if (ctx instanceof NetParser.SumStmtContext sum) return new BranchesStmt(branches(sum.branch()), Join.SUM, span(sum.SUM()));
    if (ctx instanceof NetParser.GateStmtContext gate) return new GateStmt(stmts(gate.body()), span(gate.GATE()));
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
    if (binaryOp(ctx) != null) return chain(ctx);
    Span span = span(ctx);
    if (ctx instanceof NetParser.ParenExprContext p) return expr(p.expr());
    if (ctx instanceof NetParser.NegExprContext n) return new Neg(expr(n.expr()), span);
    if (ctx instanceof NetParser.IntExprContext i) {
      try {
        return new IntLit(Long.parseLong(i.getText()), span);
      } catch (NumberFormatException e) {
        throw new NetcException(span, "integer too large");
      }
    }
    if (ctx instanceof NetParser.FloatExprContext f) {
      double value = Double.parseDouble(f.getText());
      // 1e309 reads as infinity; no attribute of a network means that, and Java source cannot spell it
      if (Double.isInfinite(value)) throw new NetcException(span, "number too large: " + f.getText());
      return new FloatLit(value, span);
    }
    if (ctx instanceof NetParser.BoolExprContext b) return new BoolLit(b.TRUE() != null, span);
    if (ctx instanceof NetParser.RefExprContext r) return new Ref(r.getText(), span);
    NetParser.ListExprContext l = (NetParser.ListExprContext) ctx;
    return new ListLit(l.expr().stream().map(this::expr).toList(), span);
  }

  /**
   * A chain of binary operators such as {@code 1+1+...+1}: its tree leans left as deep as the chain
   * is long, so the left spine is followed in a loop and only right operands recurse, which nest no
   * deeper than brackets and precedence levels do. (Recursing down the spine took 500 bytes of
   * stack a term once compiled: 1,000 terms overflowed a 512 KiB stack.)
   */
  private Expr chain(NetParser.ExprContext top) {
    Deque<NetParser.ExprContext> spine = new ArrayDeque<>();
    NetParser.ExprContext c = top;
    while (binaryOp(c) != null) {
      spine.push(c);
      c = c.getRuleContext(NetParser.ExprContext.class, 0);
    }
    Expr acc = expr(c);
    while (!spine.isEmpty()) {
      NetParser.ExprContext b = spine.pop();
      Expr right = expr(b.getRuleContext(NetParser.ExprContext.class, 1));
      acc = new Binary(binaryOp(b).getText().charAt(0), acc, right, span(b));
    }
    return acc;
  }

  /** The operator of a binary expression, or null for any other kind. */
  private static Token binaryOp(NetParser.ExprContext ctx) {
    if (ctx instanceof NetParser.MulExprContext m) return m.op;
    if (ctx instanceof NetParser.AddExprContext a) return a.op;
    return null;
  }
}
