/// An expression with its place in the source.
public struct Expr {
  public indirect enum Kind {
    case number(Double)
    case string(String)
    /// `"acc {x:.3f}"`: text and expressions with an optional format spec.
    case template([TemplateSegment])
    case bool(Bool)
    case none
    case identifier(String)
    case list([Expr])
    case record([(name: String, value: Expr)])
    case member(Expr, String)
    case index(Expr, Expr)
    /// `xs[a:b]`, either bound optional.
    case slice(Expr, Expr?, Expr?)
    case call(Expr, [Argument])
    case unary(UnaryOperator, Expr)
    case binary(BinaryOperator, Expr, Expr)
    /// `(x, y) => x + y`
    case lambda(FunctionDecl)
    /// `model(input: …) { conv 6, 5; relu }`: a call whose last argument is a block of items.
    case block(Expr, [Argument], [BlockItem])
  }

  public let kind: Kind
  public let location: SourceLocation
}

public enum TemplateSegment {
  case text(String)
  case value(Expr, format: String?)
}

public struct Argument {
  public let label: String?
  public let value: Expr
  public let location: SourceLocation
}

/// One entry of a `{ … }` layer block: a layer expression, optionally named with `as`.
public struct BlockItem {
  public let expr: Expr
  public let alias: String?
  public let location: SourceLocation
}

public struct ParameterDecl {
  public let name: String
  public let defaultValue: Expr?
  public let location: SourceLocation
}

/// A function written in the language, by `def` or as `(x) => …`.
public final class FunctionDecl {
  public let name: String
  public let parameters: [ParameterDecl]
  public let body: [Stmt]
  /// The doc comment above a `def` (`# …` lines), shown by `:help`.
  public let doc: String?
  public let location: SourceLocation

  public init(name: String, parameters: [ParameterDecl], body: [Stmt], doc: String?, location: SourceLocation) {
    self.name = name
    self.parameters = parameters
    self.body = body
    self.doc = doc
    self.location = location
  }
}

public indirect enum Stmt {
  /// An expression whose value is shown unless `hidden` (a trailing `;`).
  case expression(Expr, hidden: Bool)
  case assign(targets: [String], value: Expr, location: SourceLocation)
  /// `xs[i] = v` or `r.field = v`
  case assignInto(target: Expr, value: Expr, location: SourceLocation)
  case function(FunctionDecl)
  case returnValue(Expr?, location: SourceLocation)
  case ifChain(branches: [(condition: Expr, body: [Stmt])], otherwise: [Stmt]?, location: SourceLocation)
  case forLoop(names: [String], sequence: Expr, body: [Stmt], location: SourceLocation)
  case whileLoop(condition: Expr, body: [Stmt], location: SourceLocation)
  case breakLoop(SourceLocation)
  case continueLoop(SourceLocation)
  case use(path: String, location: SourceLocation)
  /// `no_grad { … }`: statements run without recording gradients, in the current scope.
  case noGrad(body: [Stmt], location: SourceLocation)

  public var location: SourceLocation {
    switch self {
    case .expression(let e, _): return e.location
    case .assign(_, _, let l), .assignInto(_, _, let l), .returnValue(_, let l), .ifChain(_, _, let l),
      .forLoop(_, _, _, let l), .whileLoop(_, _, let l), .breakLoop(let l), .continueLoop(let l), .use(_, let l),
      .noGrad(_, let l):
      return l
    case .function(let f): return f.location
    }
  }
}

/// A top-level statement with the source lines it spans, for reports and `:save`.
public struct TopLevelStatement {
  public let statement: Stmt
  public let firstLine: Int
  public let lastLine: Int
}

/// `-x` and `not x`.
public enum UnaryOperator: String {
  case negate = "-"
  case not
}

/// The binary operators as written.
public enum BinaryOperator: String, CaseIterable {
  case or, and
  case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
  case contains = "in"
  case range = ".."
  case add = "+", subtract = "-"
  case multiply = "*", divide = "/", remainder = "%"
  case power = "**"

  /// Binding levels from the loosest; `**` binds tighter than all of them (it parses with unary minus).
  static let levels: [[BinaryOperator]] = [
    [.or], [.and], [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual, .contains], [.range],
    [.add, .subtract], [.multiply, .divide, .remainder],
  ]
}
