public enum TokenKind: Equatable {
  case identifier(String)
  case number(Double)
  case string(String)
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
    case .newline: return "end of line"
    case .end: return "end of input"
    }
  }
}
