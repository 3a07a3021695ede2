import Foundation

/// Recursive-descent parser for the Atelier language: statements here,
/// expressions in Parser+Expressions.swift.
public struct Parser {
  let file: SourceFile
  let tokens: [Token]
  var position = 0
  var depth = 0
  /// While parsing an `if`/`while`/`for` header, `name {` opens the body, not a block call.
  var headerMode = false
  static let maxDepth = 160
  static let maxChain = 2_000

  public init(file: SourceFile) throws {
    var lexer = Lexer(file: file)
    self.file = file
    self.tokens = try lexer.tokenize()
  }

  init(file: SourceFile, tokens: [Token]) {
    self.file = file
    self.tokens = tokens
  }

  public static func parse(_ file: SourceFile) throws -> [Stmt] {
    try parseTopLevel(file).map(\.statement)
  }

  public static func parseTopLevel(_ file: SourceFile) throws -> [TopLevelStatement] {
    var parser = try Parser(file: file)
    return try parser.parseProgram()
  }

  public mutating func parseProgram() throws -> [TopLevelStatement] {
    var statements: [TopLevelStatement] = []
    while true {
      skipSeparators()
      if case .end = current.kind { return statements }
      let first = current.line
      let statement = try parseStatementWithEnd()
      statements.append(TopLevelStatement(statement: statement, firstLine: first, lastLine: max(first, previous.line)))
    }
  }

  // MARK: statements

  /// A statement and its terminator; a trailing `;` hides an expression's value.
  mutating func parseStatementWithEnd() throws -> Stmt {
    var statement = try parseStatement()
    if isSymbol(";"), case .expression(let e, _) = statement { statement = .expression(e, hidden: true) }
    try expectStatementEnd()
    return statement
  }

  mutating func parseStatement() throws -> Stmt {
    let location = here
    switch current.kind {
    case .keyword("def"): return .function(try parseDef())
    case .keyword("return"):
      position += 1
      return .returnValue(atStatementEnd ? nil : try parseExpression(), location: location)
    case .keyword("if"): return try parseIf()
    case .keyword("for"): return try parseFor()
    case .keyword("while"):
      position += 1
      let condition = try parseHeaderExpression()
      return .whileLoop(condition: condition, body: try parseBody(), location: location)
    case .keyword("break"):
      position += 1
      return .breakLoop(location)
    case .keyword("continue"):
      position += 1
      return .continueLoop(location)
    case .keyword("use"):
      position += 1
      guard case .string(let path) = current.kind else {
        throw error("use needs a file name in quotes: use \"models.atl\"")
      }
      position += 1
      return .use(path: path, location: location)
    case .identifier("no_grad") where isSymbol("{", at: 1):
      position += 1
      return .noGrad(body: try parseBody(), location: location)
    case .identifier(let name):
      if isSymbol("=", at: 1) {
        position += 2
        return .assign(targets: [name], value: try parseExpression(), location: location)
      }
      if let names = destructuringTargets() {
        position += names.count * 2
        return .assign(targets: names, value: try parseExpression(), location: location)
      }
      if startsCommand() { return .expression(try parseCommand(), hidden: false) }
    default: break
    }
    let expr = try parseExpression()
    if isSymbol("=") {
      switch expr.kind {
      case .index, .member:
        position += 1
        return .assignInto(target: expr, value: try parseExpression(), location: location)
      default:
        throw error("only a name, an element xs[i] or a field r.name can be assigned to")
      }
    }
    return .expression(expr, hidden: false)
  }

  /// `a, b = …`: identifiers separated by commas, then `=`.
  private func destructuringTargets() -> [String]? {
    var names: [String] = []
    var i = position
    while i < tokens.count, case .identifier(let name) = tokens[i].kind {
      names.append(name)
      guard i + 1 < tokens.count, case .symbol(let s) = tokens[i + 1].kind else { return nil }
      if s == "=" { return names.count > 1 ? names : nil }
      guard s == "," else { return nil }
      i += 2
    }
    return nil
  }

  /// `summary net`: an identifier followed, after a space on the same line, by
  /// something that can only start an argument.
  func startsCommand() -> Bool {
    guard position + 1 < tokens.count else { return false }
    let next = tokens[position + 1]
    guard next.spaceBefore, next.line == current.line else { return false }
    switch next.kind {
    case .identifier, .number, .string, .template: return true
    case .keyword(let k): return k == "true" || k == "false" || k == "none" || k == "not"
    case .symbol(let s): return s == "["
    default: return false
    }
  }

  mutating func parseCommand() throws -> Expr {
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

  private mutating func parseDef() throws -> FunctionDecl {
    let location = here
    position += 1
    guard case .identifier(let name) = current.kind else { throw error("def needs a function name") }
    position += 1
    try expect("(")
    let parameters = try parseParameters()
    let body = try parseBody()
    return FunctionDecl(
      name: name, parameters: parameters, body: body, doc: docComment(above: location.line), location: location)
  }

  /// `(a, b, key: default)` after the opening parenthesis.
  mutating func parseParameters() throws -> [ParameterDecl] {
    var parameters: [ParameterDecl] = []
    while !isSymbol(")") {
      let location = here
      guard case .identifier(let name) = current.kind else { throw error("expected a parameter name") }
      guard !parameters.contains(where: { $0.name == name }) else { throw error("parameter '\(name)' is named twice") }
      position += 1
      var defaultValue: Expr?
      if isSymbol(":") {
        position += 1
        defaultValue = try parseExpression()
      } else if parameters.contains(where: { $0.defaultValue != nil }) {
        throw AtelierError("'\(name)' needs a default because an earlier parameter has one", at: location)
      }
      parameters.append(ParameterDecl(name: name, defaultValue: defaultValue, location: location))
      if isSymbol(",") { position += 1 } else { break }
    }
    try expect(")")
    return parameters
  }

  /// The `# …` lines right above a line, joined: a function's doc.
  private func docComment(above line: Int) -> String? {
    var lines: [String] = []
    var n = line - 1
    while let text = file.line(n)?.trimmingCharacters(in: .whitespaces), text.hasPrefix("#") {
      lines.insert(String(text.dropFirst()).trimmingCharacters(in: .whitespaces), at: 0)
      n -= 1
    }
    return lines.isEmpty ? nil : lines.joined(separator: " ")
  }

  private mutating func parseIf() throws -> Stmt {
    let location = here
    var branches: [(condition: Expr, body: [Stmt])] = []
    var otherwise: [Stmt]?
    position += 1
    branches.append((try parseHeaderExpression(), try parseBody()))
    while true {
      let save = position
      skipNewlines()
      if isKeyword("elif") {
        position += 1
        branches.append((try parseHeaderExpression(), try parseBody()))
      } else if isKeyword("else") {
        position += 1
        otherwise = isKeyword("if") ? [try parseIf()] : try parseBody()
        break
      } else {
        position = save
        break
      }
    }
    return .ifChain(branches: branches, otherwise: otherwise, location: location)
  }

  private mutating func parseFor() throws -> Stmt {
    let location = here
    position += 1
    var names: [String] = []
    repeat {
      if !names.isEmpty { position += 1 }
      guard case .identifier(let name) = current.kind else {
        throw error("for needs a loop variable: for x in xs { … }")
      }
      names.append(name)
      position += 1
    } while isSymbol(",")
    guard isKeyword("in") else { throw error("expected 'in' after the loop variable", hint: "for x in xs { … }") }
    position += 1
    let sequence = try parseHeaderExpression()
    return .forLoop(names: names, sequence: sequence, body: try parseBody(), location: location)
  }

  mutating func parseHeaderExpression() throws -> Expr {
    let saved = headerMode
    headerMode = true
    defer { headerMode = saved }
    return try parseExpression()
  }

  /// `{ statements }`
  mutating func parseBody() throws -> [Stmt] {
    guard isSymbol("{") else { throw error("expected '{' to open a block", hint: "blocks are written { … }") }
    let opened = here
    position += 1
    depth += 1
    defer { depth -= 1 }
    guard depth < Parser.maxDepth else { throw error("blocks nested too deeply") }
    let saved = headerMode
    headerMode = false
    defer { headerMode = saved }
    var body: [Stmt] = []
    while true {
      skipSeparators()
      if isSymbol("}") {
        position += 1
        return body
      }
      if case .end = current.kind {
        throw AtelierError("this block is not closed", at: opened, hint: "add '}' at its end")
      }
      body.append(try parseStatementWithEnd())
    }
  }

  func expectStatementEnd() throws {
    switch current.kind {
    case .newline, .end, .symbol("}"): return
    case .symbol(";"): return
    default:
      throw error(
        "unexpected \(current.text) after the end of a statement",
        hint: "put one statement per line, or separate statements with ';'")
    }
  }

  var atStatementEnd: Bool {
    switch current.kind {
    case .newline, .end, .symbol(";"), .symbol("}"): return true
    default: return false
    }
  }

  mutating func skipSeparators() {
    while true {
      switch current.kind {
      case .newline, .symbol(";"): position += 1
      default: return
      }
    }
  }

  mutating func skipNewlines() {
    while case .newline = current.kind { position += 1 }
  }

  // MARK: helpers

  var current: Token { tokens[min(position, tokens.count - 1)] }
  var previous: Token { tokens[max(0, min(position - 1, tokens.count - 1))] }
  var here: SourceLocation { SourceLocation(file: file, line: current.line, column: current.column) }

  func isSymbol(_ s: String, at offset: Int = 0) -> Bool {
    let i = position + offset
    guard i < tokens.count, case .symbol(let t) = tokens[i].kind else { return false }
    return t == s
  }

  func isKeyword(_ k: String) -> Bool { current.kind == .keyword(k) }

  mutating func expect(_ symbol: String) throws {
    guard isSymbol(symbol) else {
      // Python's `f(x, epochs=1)`: a name then `=` inside a call's parentheses.
      let pythonNamed =
        isSymbol("=") && position > 0 && { if case .identifier = tokens[position - 1].kind { true } else { false } }()
      let hint = pythonNamed ? "named arguments take ':', as in fit(net, data, epochs: 1)" : nil
      throw error("expected '\(symbol)' but found \(current.text)", hint: hint)
    }
    position += 1
  }

  func error(_ message: String, hint: String? = nil) -> AtelierError {
    AtelierError(message, at: here, hint: hint)
  }
}
