//! The syntax tree of the PowerShell subset.

use std::sync::Arc;

use super::value::Value;

/// A statement list (script, script block body, `$(...)`, `@(...)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub statements: Vec<Stmt>,
    /// The `param(...)` block that opens a script or script block
    /// (`{ param($Name) … }`); empty when there is none.
    pub params: Vec<ParamDef>,
    /// Named `begin { }` and `process { }` blocks; with named blocks,
    /// `statements` is the `end { }` block.
    pub begin: Option<Box<Block>>,
    pub process: Option<Box<Block>>,
}

impl Block {
    /// True when the block has `begin`/`process` parts (runs per input object).
    pub fn has_named_blocks(&self) -> bool {
        self.begin.is_some() || self.process.is_some()
    }
}

/// A statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    Pipeline(Pipeline),
    Assign {
        target: Expr,
        op: AssignOp,
        value: Box<Stmt>,
    },
    If {
        clauses: Vec<(Pipeline, Block)>,
        else_block: Option<Block>,
    },
    Foreach {
        var: String,
        collection: Pipeline,
        body: Block,
    },
    While {
        cond: Pipeline,
        body: Block,
    },
    For {
        init: Option<Box<Stmt>>,
        cond: Option<Pipeline>,
        step: Option<Box<Stmt>>,
        body: Block,
    },
    Break,
    Continue,
    Throw(Option<Pipeline>, Pos),
    /// `function Name { param(...) body }` / `function Name($a, $b) { body }`.
    Function(Arc<FunctionDef>),
    /// `try { } catch [T1], [T2] { } catch { } finally { }`.
    Try {
        body: Block,
        catches: Vec<(Vec<String>, Block)>,
        finally: Option<Block>,
    },
    Return(Option<Pipeline>),
}

/// `=`, `+=`, `-=`, `*=`, `/=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignOp {
    Set,
    Add,
    Sub,
    Mul,
    Div,
}

/// A position in the script text (1-based line and column, 0-based char offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

/// `a | b | c`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub elements: Vec<PipeElem>,
    pub pos: Pos,
}

/// One element of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum PipeElem {
    Expr(Expr),
    Command(Command),
}

/// A command invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub name: String,
    pub args: Vec<CmdArg>,
    pub pos: Pos,
    /// The text of the command element (for error records' InvocationInfo).
    pub text: String,
}

/// An argument as written.
#[derive(Debug, Clone, PartialEq)]
pub enum CmdArg {
    /// `-Name` or `-Name:value`.
    Param { name: String, value: Option<Expr> },
    /// A value (positional, or the argument of the preceding parameter).
    Value(Expr),
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    And,
    Or,
    Xor,
    Format,
    Join,
    Split,
    Replace { case: bool },
    Cmp { op: CmpOp, case: bool, negate: bool },
    Is { negate: bool },
    As,
}

/// Comparison operator kinds (negated forms carry `negate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Gt,
    Lt,
    Ge,
    Le,
    Like,
    Match,
    Contains,
    In,
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
    Plus,
    Join,
    Split,
}

/// A part of an expandable string.
#[derive(Debug, Clone, PartialEq)]
pub enum StrPart {
    Lit(String),
    Expr(Expr),
}

/// Expressions.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Const(Value),
    Expandable(Vec<StrPart>),
    Var(String),
    Range(Box<Expr>, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    /// `a, b, c`.
    List(Vec<Expr>),
    /// `@( ... )`.
    ArraySub(Block),
    /// `$( ... )`.
    SubExpression(Block),
    /// `( pipeline )`.
    Paren(Box<Stmt>),
    Hashtable(Vec<(Expr, Stmt)>),
    ScriptBlock(Arc<Block>, String),
    Member(Box<Expr>, Box<Expr>),
    Method(Box<Expr>, String, Vec<Expr>),
    StaticMember(String, String),
    StaticMethod(String, String, Vec<Expr>),
    Index(Box<Expr>, Box<Expr>),
    Cast(String, Box<Expr>),
    TypeLit(String),
    /// `$x++` / `$x--` (postfix, value before), `++$x` (prefix).
    IncDec {
        target: Box<Expr>,
        delta: i64,
        prefix: bool,
    },
}

/// A function definition.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    pub name: String,
    pub params: Vec<ParamDef>,
    pub body: Block,
}

/// One parameter of a function.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDef {
    pub name: String,
    pub ty: Option<String>,
    pub default: Option<Expr>,
    /// `[Parameter(ValueFromPipeline)]`: each input object binds to it.
    pub from_pipeline: bool,
}

impl ParamDef {
    /// `[switch]` parameters take no argument.
    pub fn is_switch(&self) -> bool {
        self.ty.as_deref().is_some_and(|t| {
            t.eq_ignore_ascii_case("switch")
                || t.eq_ignore_ascii_case("System.Management.Automation.SwitchParameter")
        })
    }
}
