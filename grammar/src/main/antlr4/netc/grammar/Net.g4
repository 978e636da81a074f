// The netc network description language.
//
// A spec declares an input, top-level parameters (overridable with -D name=value), reusable blocks,
// and a sequence of layer statements. Data flows top to bottom: each statement consumes the value
// produced by the one before it. Residual connections are structured: `residual { main } shortcut
// name { projection }` adds the main path to the block input, routing the input through the
// projection only when the main path changed its shape. Parallel branches are structured too:
// `concat { a } and { b }` runs each branch on the same input and joins their outputs along
// channels; an empty branch is the input itself, and `name: { ... }` scopes a branch's layer names.
// `sum { a } and { b }` runs its branches the same way and adds their outputs, which must agree in
// shape (RepVGG's and ACNet's blocks of parallel convs, a shortcut with layers that keeps the shape).
// `gate { body }` multiplies each channel of its input by the body's output for that channel (a
// squeeze-and-excitation: the body pools the input to one value a channel and ends in a sigmoid).
grammar Net;

spec       : item* EOF ;
item       : importDecl | paramDecl | blockDecl | inputDecl | stmt ;

importDecl : IMPORT STRING ;
paramDecl  : PARAM IDENT '=' expr ;
blockDecl  : BLOCK IDENT '(' (formal (',' formal)*)? ')' body ;
formal     : IDENT ('=' expr)? ;
inputDecl  : INPUT args ;

body       : '{' stmt* '}' ;
stmt       : (name ':')? call                      # layerStmt
           | FOR IDENT IN expr '..' expr body      # forStmt
           | RESIDUAL body (SHORTCUT name body)?   # residualStmt
           | CONCAT branch (AND branch)+          # concatStmt
           | SUM branch (AND branch)+             # sumStmt
           | GATE body                             # gateStmt
           ;
branch     : (name ':')? body ;
name       : IDENT | INT | STRING | '{' expr '}' ;   // "any text" names a layer literally
call       : IDENT args? ;
args       : '(' (arg (',' arg)*)? ')' ;
arg        : (IDENT '=')? expr ;

expr       : '(' expr ')'                          # parenExpr
           | '-' expr                              # negExpr
           | expr op=('*' | '/' | '%') expr        # mulExpr
           | expr op=('+' | '-') expr              # addExpr
           | INT                                   # intExpr
           | FLOAT                                 # floatExpr
           | (TRUE | FALSE)                        # boolExpr
           | IDENT                                 # refExpr
           | '[' (expr (',' expr)*)? ']'           # listExpr
           ;

IMPORT   : 'import' ;
PARAM    : 'param' ;
BLOCK    : 'block' ;
INPUT    : 'input' ;
FOR      : 'for' ;
IN       : 'in' ;
RESIDUAL : 'residual' ;
SHORTCUT : 'shortcut' ;
CONCAT   : 'concat' ;
SUM      : 'sum' ;
AND      : 'and' ;
GATE     : 'gate' ;
TRUE     : 'true' ;
FALSE    : 'false' ;

IDENT    : [a-zA-Z_] [a-zA-Z_0-9]* ;
FLOAT    : [0-9]+ '.' [0-9]+ EXPONENT? | [0-9]+ EXPONENT ;
INT      : [0-9]+ ;
STRING   : '"' (~["\\\r\n] | '\\' ~[\r\n])* '"' ;   // \" and \\ are escapes; any other backslash is kept
// A string the line ends inside is one token to the end of the line, which SpecParser reports. Without
// it the lexer tried STRING again from every later quote of the line, each time to the line's end:
// quadratic, so a long line of '"\' took hours.
UNTERMINATED_STRING : '"' (~["\\\r\n] | '\\' ~[\r\n])* ;
fragment EXPONENT : [eE] [+-]? [0-9]+ ;

LINE_COMMENT  : ('//' | '#') ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
// A comment never closed is one token to the end of the file, which SpecParser reports. Without it the
// lexer tried BLOCK_COMMENT again from every later '/*', each time to the end of the file: quadratic,
// so a file of 1,000,000 '/* ' took hours. It cannot contain '*/', so a closed comment is never one.
UNTERMINATED_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* EOF ;
WS            : [ \t\r\n]+ -> skip ;
// Anything else reaches the parser as one bad token, so it is reported with its location.
BAD_CHAR : . ;
