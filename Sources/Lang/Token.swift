/// A piece of a string literal: text, or `{code}` to interpolate (with its place).
public enum TemplatePart: Equatable {
  case text(String)
  case code(String, line: Int, column: Int)
}

public enum TokenKind: Equatable {
  case identifier(String)
  case number(Double)
  case string(String)
  case template([TemplatePart])
  case keyword(String)
  case symbol(String)
  case newline
  case end
}

public struct Token {
  public let kind: TokenKind
  public let line: Int
  public let column: Int
  /// Whether whitespace separates this token from the one before it.
  public let spaceBefore: Bool

  public var text: String {
    switch kind {
    case .identifier(let s), .keyword(let s), .symbol(let s): return s
    case .number(let n): return String(n)
    case .string(let s): return "\"\(s)\""
    case .template: return "string"
    case .newline: return "end of line"
    case .end: return "end of input"
    }
  }
}
