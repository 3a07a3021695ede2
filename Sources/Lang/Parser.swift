/// Recursive-descent parser for the Atelier language.
public struct Parser {
  private let file: SourceFile
  private let tokens: [Token]
  private var position = 0
  private var depth = 0
  static let maxDepth = 200

  public init(file: SourceFile) throws {
    var lexer = Lexer(file: file)
    self.file = file
    self.tokens = try lexer.tokenize()
  }

  public static func parse(_ file: SourceFile) throws -> [Stmt] {
    var parser = try Parser(file: file)
    return try parser.parseProgram()
  }

  public mutating func parseProgram() throws -> [Stmt] {
    var statements: [Stmt] = []
    while true {
      skipSeparators()
      if case .end = current.kind { return statements }
      var statement = try parseStatement()
      if isSymbol(";"), case .expression(let e, _) = statement {
        statement = .expression(e, hidden: true)
      }
      try expectStatementEnd()
      statements.append(statement)
    }
  }

  // MARK: statements

  private mutating func parseStatement() throws -> Stmt {
    if case .identifier(let name) = current.kind {
      if isSymbol("=", at: 1) {
        let location = here
        position += 2
        return .assign(names: [name], value: try parseExpression(), location: location)
      }
      if let names = destructuringTargets() {
        let location = here
        position += names.count * 2
        return .assign(names: names, value: try parseExpression(), location: location)
      }
      if startsCommand() { return .expression(try parseCommand(), hidden: false) }
    }
    return .expression(try parseExpression(), hidden: false)
  }

  /// `a, b = …`: identifiers separated by commas, then `=`.
  private func destructuringTargets() -> [String]? {
    var names: [String] = []
    var i = position
    while case .identifier(let name) = tokens[i].kind {
      names.append(name)
      guard i + 1 < tokens.count, case .symbol(let s) = tokens[i + 1].kind else { return nil }
      if s == "=" { return names.count > 1 ? names : nil }
      guard s == "," else { return nil }
      i += 2
      guard i < tokens.count else { return nil }
    }
    return nil
  }

  /// `summary net`: an identifier followed, after a space on the same line, by
  /// something that can only start an argument.
  private func startsCommand() -> Bool {
    guard position + 1 < tokens.count else { return false }
    let next = tokens[position + 1]
    guard next.spaceBefore, next.line == current.line else { return false }
    switch next.kind {
    case .identifier, .number, .string: return true
    case .keyword(let k): return k == "true" || k == "false" || k == "none" || k == "not"
    case .symbol(let s): return s == "["
    default: return false
    }
  }

  private mutating func parseCommand() throws -> Expr {
    let location = here
    guard case .identifier(let name) = current.kind else { throw error("expected a command name") }
    position += 1
    var arguments: [Argument] = []
    repeat {
      if !arguments.isEmpty { position += 1 }
      arguments.append(try parseArgument())
    } while isSymbol(",")
    return Expr(kind: .call(Expr(kind: .identifier(name), location: location), arguments), location: location)
  }

  private mutating func expectStatementEnd() throws {
    switch current.kind {
    case .newline, .end: return
    case .symbol(";"): position += 1
    case .symbol("}"): return
    default:
      throw error(
        "unexpected \(current.text) after the end of a statement",
        hint: "put one statement per line, or separate statements with ';'")
    }
  }

  private mutating func skipSeparators() {
    while true {
      switch current.kind {
      case .newline, .symbol(";"): position += 1
      default: return
      }
    }
  }

  // MARK: expressions, lowest precedence first

  public mutating func parseExpression() throws -> Expr {
    depth += 1
    defer { depth -= 1 }
    guard depth < Parser.maxDepth else { throw error("expression nested too deeply") }
    return try parsePipeline()
  }

  private mutating func parsePipeline() throws -> Expr {
    var left = try parseBinary(level: 0)
    while isSymbol("|") {
      let location = here
      position += 1
      let stage = try parseBinary(level: 0)
      let input = Argument(label: nil, value: left, location: left.location)
      switch stage.kind {
      case .call(let callee, let args):
        left = Expr(kind: .call(callee, [input] + args), location: location)
      case .identifier, .member:
        left = Expr(kind: .call(stage, [input]), location: location)
      default:
        throw AtelierError("the right side of '|' must be a function or a call", at: stage.location)
      }
    }
    return left
  }

  static let binaryLevels: [[String]] = [
    ["or"], ["and"], ["==", "!=", "<", "<=", ">", ">="], [".."], ["+", "-"], ["*", "/", "%"],
  ]

  private mutating func parseBinary(level: Int) throws -> Expr {
    if level == Parser.binaryLevels.count { return try parseUnary() }
    if level == 2, isKeyword("not") {
      let location = here
      position += 1
      return Expr(kind: .unary("not", try parseBinary(level: 2)), location: location)
    }
    var left = try parseBinary(level: level + 1)
    while let op = binaryOperator(), Parser.binaryLevels[level].contains(op) {
      let location = here
      position += 1
      let right = try parseBinary(level: level + 1)
      left = Expr(kind: .binary(op, left, right), location: location)
      if level == 2 || level == 3 { break }  // comparisons and ranges do not chain
    }
    return left
  }

  private func binaryOperator() -> String? {
    switch current.kind {
    case .symbol(let s): return s
    case .keyword(let k) where k == "and" || k == "or": return k
    default: return nil
    }
  }

  private mutating func parseUnary() throws -> Expr {
    if isSymbol("-") {
      let location = here
      position += 1
      depth += 1
      defer { depth -= 1 }
      guard depth < Parser.maxDepth else { throw error("expression nested too deeply") }
      return Expr(kind: .unary("-", try parseUnary()), location: location)
    }
    return try parsePower()
  }

  private mutating func parsePower() throws -> Expr {
    let base = try parsePostfix()
    if isSymbol("**") {
      let location = here
      position += 1
      return Expr(kind: .binary("**", base, try parseUnary()), location: location)
    }
    return base
  }

  private mutating func parsePostfix() throws -> Expr {
    var expr = try parsePrimary()
    while true {
      if isSymbol("("), !current.spaceBefore || isCallable(expr) {
        let location = here
        position += 1
        let args = try parseArguments(closing: ")")
        expr = Expr(kind: .call(expr, args), location: expr.location)
        _ = location
      } else if isSymbol(".") {
        position += 1
        guard case .identifier(let name) = current.kind else { throw error("expected a name after '.'") }
        position += 1
        expr = Expr(kind: .member(expr, name), location: expr.location)
      } else if isSymbol("["), !current.spaceBefore {
        position += 1
        let index = try parseExpression()
        try expect("]")
        expr = Expr(kind: .index(expr, index), location: expr.location)
      } else if isSymbol("{"), isCallable(expr), current.line == previous.line {
        expr = try parseBlock(after: expr)
      } else {
        return expr
      }
    }
  }

  private func isCallable(_ expr: Expr) -> Bool {
    switch expr.kind {
    case .identifier, .member, .call: return true
    default: return false
    }
  }

  private mutating func parseBlock(after expr: Expr) throws -> Expr {
    let (callee, args): (Expr, [Argument])
    if case .call(let c, let a) = expr.kind { (callee, args) = (c, a) } else { (callee, args) = (expr, []) }
    try expect("{")
    var items: [BlockItem] = []
    while true {
      skipSeparators()
      if isSymbol("}") { break }
      if case .end = current.kind {
        throw error("this block is not closed", hint: "add '}' to close the block opened on line \(expr.location.line)")
      }
      let location = here
      let value = startsCommand() ? try parseCommand() : try parseExpression()
      var alias: String?
      if isKeyword("as") {
        position += 1
        guard case .identifier(let name) = current.kind else { throw error("expected a layer name after 'as'") }
        alias = name
        position += 1
      }
      items.append(BlockItem(expr: value, alias: alias, location: location))
      try expectStatementEnd()
    }
    try expect("}")
    return Expr(kind: .block(callee, args, items), location: expr.location)
  }

  private mutating func parseArguments(closing: String) throws -> [Argument] {
    var args: [Argument] = []
    while !isSymbol(closing) {
      args.append(try parseArgument())
      if isSymbol(",") { position += 1 } else { break }
    }
    try expect(closing)
    return args
  }

  private mutating func parseArgument() throws -> Argument {
    let location = here
    if case .identifier(let label) = current.kind, isSymbol(":", at: 1) {
      position += 2
      return Argument(label: label, value: try parseExpression(), location: location)
    }
    return Argument(label: nil, value: try parseExpression(), location: location)
  }

  private mutating func parsePrimary() throws -> Expr {
    let location = here
    let token = current
    switch token.kind {
    case .number(let n):
      position += 1
      return Expr(kind: .number(n), location: location)
    case .string(let s):
      position += 1
      return Expr(kind: .string(s), location: location)
    case .identifier(let name):
      position += 1
      return Expr(kind: .identifier(name), location: location)
    case .keyword("true"), .keyword("false"):
      position += 1
      return Expr(kind: .bool(token.kind == .keyword("true")), location: location)
    case .keyword("none"):
      position += 1
      return Expr(kind: .none, location: location)
    case .symbol("("):
      position += 1
      let inner = try parseExpression()
      try expect(")")
      return inner
    case .symbol("["):
      position += 1
      var items: [Expr] = []
      while !isSymbol("]") {
        items.append(try parseExpression())
        if isSymbol(",") { position += 1 } else { break }
      }
      try expect("]")
      return Expr(kind: .list(items), location: location)
    case .newline, .end:
      throw error("the statement ends too early", hint: "an expression is missing here")
    default:
      throw error("unexpected \(token.text)")
    }
  }

  // MARK: helpers

  private var current: Token { tokens[min(position, tokens.count - 1)] }
  private var previous: Token { tokens[max(0, min(position - 1, tokens.count - 1))] }
  private var here: SourceLocation { SourceLocation(file: file, line: current.line, column: current.column) }

  private func isSymbol(_ s: String, at offset: Int = 0) -> Bool {
    let i = position + offset
    guard i < tokens.count, case .symbol(let t) = tokens[i].kind else { return false }
    return t == s
  }

  private func isKeyword(_ k: String) -> Bool { current.kind == .keyword(k) }

  private mutating func expect(_ symbol: String) throws {
    guard isSymbol(symbol) else { throw error("expected '\(symbol)' but found \(current.text)") }
    position += 1
  }

  private func error(_ message: String, hint: String? = nil) -> AtelierError {
    AtelierError(message, at: here, hint: hint)
  }
}
