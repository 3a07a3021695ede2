/// An expression with its place in the source.
public struct Expr {
  public indirect enum Kind {
    case number(Double)
    case string(String)
    case bool(Bool)
    case none
    case identifier(String)
    case list([Expr])
    case member(Expr, String)
    case index(Expr, Expr)
    case call(Expr, [Argument])
    case unary(String, Expr)
    case binary(String, Expr, Expr)
    /// `model(input: …) { conv 6, 5; relu }`: a call whose last argument is a block of items.
    case block(Expr, [Argument], [BlockItem])
  }

  public let kind: Kind
  public let location: SourceLocation
}

public struct Argument {
  public let label: String?
  public let value: Expr
  public let location: SourceLocation
}

/// One entry of a `{ … }` block: a layer expression, optionally named with `as`.
public struct BlockItem {
  public let expr: Expr
  public let alias: String?
  public let location: SourceLocation
}

public enum Stmt {
  /// An expression whose value is shown unless `hidden` (a trailing `;`).
  case expression(Expr, hidden: Bool)
  case assign(names: [String], value: Expr, location: SourceLocation)
}
