import Foundation

/// Turns source text into tokens. Newlines end statements except inside
/// parentheses and brackets; `#` starts a comment.
public struct Lexer {
  static let keywords: Set<String> = [
    "as", "true", "false", "none", "and", "or", "not", "def", "return", "if", "elif", "else", "for", "in",
    "while", "break", "continue", "use",
  ]
  static let symbols = [
    "**", "==", "!=", "<=", ">=", "=>", "..", "(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "=", "|", "+", "-", "*",
    "/", "%", "<", ">",
  ]

  let file: SourceFile
  private let scalars: [Unicode.Scalar]
  private var index = 0
  private var line = 1
  private var column = 1
  private var groupDepth = 0

  public init(file: SourceFile) {
    self.file = file
    self.scalars = Array(file.text.unicodeScalars)
    self.line = file.firstLine
  }

  /// Lexes a fragment of `file` (the code inside a string's `{…}`) that starts at `line`:`column`.
  public init(file: SourceFile, fragment: String, line: Int, column: Int) {
    self.file = file
    self.scalars = Array(fragment.unicodeScalars)
    self.line = line
    self.column = column
  }

  public mutating func tokenize() throws -> [Token] {
    var tokens: [Token] = []
    var sawSpace = true
    while true {
      let hadSpace = skipSpaceAndComments() || sawSpace
      sawSpace = false
      guard index < scalars.count else {
        tokens.append(Token(kind: .end, line: line, column: column, spaceBefore: true))
        return tokens
      }
      let (startLine, startColumn) = (line, column)
      let c = scalars[index]
      if c == "\n" {
        advance()
        if groupDepth == 0 {
          tokens.append(Token(kind: .newline, line: startLine, column: startColumn, spaceBefore: hadSpace))
        }
        sawSpace = true
        continue
      }
      let kind: TokenKind
      if c.properties.isAlphabetic || c == "_" {
        let word = readWhile { $0.properties.isAlphabetic || $0 == "_" || ("0"..."9").contains($0) }
        kind = Lexer.keywords.contains(word) ? .keyword(word) : .identifier(word)
      } else if ("0"..."9").contains(c) || (c == "." && peek(1).map { ("0"..."9").contains($0) } == true) {
        kind = .number(try readNumber())
      } else if c == "\"" {
        kind = try readString()
      } else if let symbol = Lexer.symbols.first(where: matches) {
        for _ in symbol.unicodeScalars { advance() }
        if symbol == "(" || symbol == "[" { groupDepth += 1 }
        if symbol == ")" || symbol == "]" { groupDepth = max(0, groupDepth - 1) }
        kind = .symbol(symbol)
      } else {
        throw AtelierError(
          "unexpected character '\(Character(c))'", at: SourceLocation(file: file, line: line, column: column))
      }
      tokens.append(Token(kind: kind, line: startLine, column: startColumn, spaceBefore: hadSpace))
    }
  }

  private func peek(_ offset: Int) -> Unicode.Scalar? {
    index + offset < scalars.count ? scalars[index + offset] : nil
  }

  private mutating func advance() {
    if scalars[index] == "\n" {
      line += 1
      column = 1
    } else {
      column += 1
    }
    index += 1
  }

  /// Returns whether anything was skipped.
  private mutating func skipSpaceAndComments() -> Bool {
    var skipped = false
    while index < scalars.count {
      let c = scalars[index]
      if c == " " || c == "\t" || c == "\r" {
        advance()
      } else if c == "#" {
        while index < scalars.count, scalars[index] != "\n" { advance() }
      } else if c == "\\", peek(1) == "\n" {
        advance()
        advance()
      } else {
        break
      }
      skipped = true
    }
    return skipped
  }

  private func matches(_ symbol: String) -> Bool {
    for (offset, s) in symbol.unicodeScalars.enumerated() where peek(offset) != s { return false }
    return true
  }

  private mutating func readWhile(_ accept: (Unicode.Scalar) -> Bool) -> String {
    var text = String.UnicodeScalarView()
    while index < scalars.count, accept(scalars[index]) {
      text.append(scalars[index])
      advance()
    }
    return String(text)
  }

  private mutating func readNumber() throws -> Double {
    let start = SourceLocation(file: file, line: line, column: column)
    var text = readWhile { ("0"..."9").contains($0) || $0 == "_" }
    // `1..10` is a range, not the number 1.
    if index < scalars.count, scalars[index] == ".", peek(1) != "." {
      advance()
      text += "." + readWhile { ("0"..."9").contains($0) || $0 == "_" }
    }
    if index < scalars.count, scalars[index] == "e" || scalars[index] == "E" {
      let sign = peek(1)
      let digitAt = (sign == "+" || sign == "-") ? 2 : 1
      if let d = peek(digitAt), ("0"..."9").contains(d) {
        advance()
        text += "e"
        if digitAt == 2, let sign {
          text.unicodeScalars.append(sign)
          advance()
        }
        text += readWhile { ("0"..."9").contains($0) }
      }
    }
    guard let value = Double(text.replacingOccurrences(of: "_", with: "")) else {
      throw AtelierError("malformed number '\(text)'", at: start)
    }
    return value
  }

  /// A string literal; `{expr}` inside it interpolates, `\{` is a literal brace.
  private mutating func readString() throws -> TokenKind {
    let start = SourceLocation(file: file, line: line, column: column)
    advance()
    var parts: [TemplatePart] = []
    var text = String.UnicodeScalarView()
    while index < scalars.count, scalars[index] != "\"", scalars[index] != "\n" {
      var c = scalars[index]
      if c == "{" {
        if !text.isEmpty { parts.append(.text(String(text))) }
        text = String.UnicodeScalarView()
        parts.append(try readInterpolation())
        continue
      }
      if c == "\\", let next = peek(1) {
        advance()
        switch next {
        case "n": c = "\n"
        case "t": c = "\t"
        case "\\", "\"", "{", "}": c = next
        default:
          throw AtelierError(
            "unknown escape '\\\(Character(next))' in string",
            at: SourceLocation(file: file, line: line, column: column - 1),
            hint: "use \\n, \\t, \\\\, \\\" or \\{")
        }
      }
      text.append(c)
      advance()
    }
    guard index < scalars.count, scalars[index] == "\"" else {
      throw AtelierError("unterminated string", at: start, hint: "close it with \" on the same line")
    }
    advance()
    if parts.isEmpty { return .string(String(text)) }
    if !text.isEmpty { parts.append(.text(String(text))) }
    return .template(parts)
  }

  /// `{code}` inside a string, up to the matching `}` on the same line.
  private mutating func readInterpolation() throws -> TemplatePart {
    let start = SourceLocation(file: file, line: line, column: column)
    advance()
    let (codeLine, codeColumn) = (line, column)
    var code = String.UnicodeScalarView()
    var depth = 0
    var quoted = false
    while index < scalars.count, scalars[index] != "\n" {
      let c = scalars[index]
      if c == "\"" { quoted.toggle() }
      if !quoted {
        if c == "{" { depth += 1 }
        if c == "}" {
          if depth == 0 { break }
          depth -= 1
        }
      }
      code.append(c)
      advance()
    }
    guard index < scalars.count, scalars[index] == "}" else {
      throw AtelierError(
        "'{' in a string is not closed", at: start, hint: "close it with '}', or write \\{ for a brace")
    }
    advance()
    guard !String(code).trimmingCharacters(in: .whitespaces).isEmpty else {
      throw AtelierError("empty {} in a string", at: start, hint: "write \\{ for a literal brace")
    }
    return .code(String(code), line: codeLine, column: codeColumn)
  }
}
