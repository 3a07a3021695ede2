import Foundation

extension Parser {
  // MARK: expressions, lowest precedence first

  public mutating func parseExpression() throws -> Expr {
    depth += 1
    defer { depth -= 1 }
    guard depth < Parser.maxDepth else { throw error("expression nested too deeply") }
    return try parsePipeline()
  }

  private mutating func parsePipeline() throws -> Expr {
    var left = try parseBinary(level: 0)
    var links = 0
    while isSymbol("|") {
      try countLink(&links)
      let location = here
      position += 1
      let stage = try parseBinary(level: 0)
      let input = Argument(label: nil, value: left, location: left.location)
      switch stage.kind {
      case .call(let callee, let args):
        left = Expr(kind: .call(callee, [input] + args), location: location)
      case .identifier, .member, .lambda:
        left = Expr(kind: .call(stage, [input]), location: location)
      default:
        throw AtelierError("the right side of '|' must be a function or a call", at: stage.location)
      }
    }
    return left
  }

  private mutating func parseBinary(level: Int) throws -> Expr {
    if level == BinaryOperator.levels.count { return try parseUnary() }
    if level == 2, isKeyword("not") {
      let location = here
      position += 1
      try enter()
      defer { depth -= 1 }
      return Expr(kind: .unary(.not, try parseBinary(level: 2)), location: location)
    }
    var left = try parseBinary(level: level + 1)
    var links = 0
    while let op = binaryOperator(), BinaryOperator.levels[level].contains(op) {
      try countLink(&links)
      let location = here
      position += 1
      let right = try parseBinary(level: level + 1)
      left = Expr(kind: .binary(op, left, right), location: location)
      if level == 2 || level == 3 { break }  // comparisons and ranges do not chain
    }
    return left
  }

  /// Chains (`a + b + …`, `x.a.b…`, `v | f | g…`) parse in a loop but build a tree as
  /// deep as they are long, which every later pass walks (and frees) recursively.
  private func countLink(_ links: inout Int) throws {
    links += 1
    guard links <= Parser.maxChain else {
      throw error("this nests too deeply: a chain of more than \(Parser.maxChain) operations; split it into steps")
    }
  }

  private func binaryOperator() -> BinaryOperator? {
    switch current.kind {
    case .symbol(let s): return BinaryOperator(rawValue: s)
    case .keyword(let k) where k == "and" || k == "or" || k == "in": return BinaryOperator(rawValue: k)
    default: return nil
    }
  }

  private mutating func enter() throws {
    depth += 1
    guard depth < Parser.maxDepth else { throw error("expression nested too deeply") }
  }

  private mutating func parseUnary() throws -> Expr {
    if isSymbol("-") {
      let location = here
      position += 1
      try enter()
      defer { depth -= 1 }
      return Expr(kind: .unary(.negate, try parseUnary()), location: location)
    }
    return try parsePower()
  }

  private mutating func parsePower() throws -> Expr {
    let base = try parsePostfix()
    if isSymbol("**") {
      let location = here
      position += 1
      try enter()
      defer { depth -= 1 }
      return Expr(kind: .binary(.power, base, try parseUnary()), location: location)
    }
    return base
  }

  private mutating func parsePostfix() throws -> Expr {
    var expr = try parsePrimary()
    var links = 0
    while true {
      try countLink(&links)
      if isSymbol("("), !current.spaceBefore || isCallable(expr) {
        position += 1
        let args = try parseArguments(closing: ")")
        expr = Expr(kind: .call(expr, args), location: expr.location)
      } else if isSymbol(".") {
        position += 1
        guard case .identifier(let name) = current.kind else { throw error("expected a name after '.'") }
        let nameLocation = here
        position += 1
        expr = Expr(kind: .member(expr, name), location: nameLocation)
      } else if isSymbol("["), !current.spaceBefore {
        expr = try parseSubscript(of: expr)
      } else if isSymbol("{"), !headerMode, isCallable(expr), current.line == previous.line {
        expr = try parseBlock(after: expr)
      } else {
        return expr
      }
    }
  }

  /// `x[i]`, `x[a:b]`, `x[:b]`, `x[a:]`
  private mutating func parseSubscript(of base: Expr) throws -> Expr {
    position += 1
    let saved = headerMode
    headerMode = false
    defer { headerMode = saved }
    var lower: Expr?
    if !isSymbol(":") { lower = try parseExpression() }
    if isSymbol(":") {
      position += 1
      let upper = isSymbol("]") ? nil : try parseExpression()
      try expect("]")
      return Expr(kind: .slice(base, lower, upper), location: base.location)
    }
    try expect("]")
    guard let index = lower else { throw error("expected an index") }
    return Expr(kind: .index(base, index), location: base.location)
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
    let opened = here
    try expect("{")
    try enter()
    defer { depth -= 1 }
    var items: [BlockItem] = []
    while true {
      skipSeparators()
      if isSymbol("}") { break }
      if case .end = current.kind {
        throw AtelierError("this block is not closed", at: opened, hint: "add '}' at its end")
      }
      let location = here
      let value = startsCommand() ? try parseCommand() : try parseExpression()
      var alias: String?
      if isKeyword("as") {
        position += 1
        alias = try layerAlias()
        position += 1
      }
      items.append(BlockItem(expr: value, alias: alias, location: location))
      try expectStatementEnd()
    }
    try expect("}")
    return Expr(kind: .block(callee, args, items), location: expr.location)
  }

  /// A layer's name after `as`: a word, or a whole number as PyTorch names the members of
  /// an nn.Sequential (`basic_block(64) as 0` is torchvision's `layer1.0`).
  private func layerAlias() throws -> String {
    switch current.kind {
    case .identifier(let name): return name
    case .number(let value) where value >= 0 && value < 1e6 && value == value.rounded(): return String(Int(value))
    default: throw error("expected a layer name after 'as'")
    }
  }

  mutating func parseArguments(closing: String) throws -> [Argument] {
    let saved = headerMode
    headerMode = false
    defer { headerMode = saved }
    var args: [Argument] = []
    while !isSymbol(closing) {
      args.append(try parseArgument())
      if isSymbol(",") { position += 1 } else { break }
    }
    try expect(closing)
    return args
  }

  mutating func parseArgument() throws -> Argument {
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
    case .template(let parts):
      position += 1
      return Expr(kind: .template(try parts.map(templateSegment)), location: location)
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
      if startsLambda() { return try parseLambda() }
      position += 1
      let saved = headerMode
      headerMode = false
      defer { headerMode = saved }
      let inner = try parseExpression()
      try expect(")")
      return inner
    case .symbol("["):
      position += 1
      let saved = headerMode
      headerMode = false
      defer { headerMode = saved }
      var items: [Expr] = []
      while !isSymbol("]") {
        items.append(try parseExpression())
        if isSymbol(",") { position += 1 } else { break }
      }
      try expect("]")
      return Expr(kind: .list(items), location: location)
    case .symbol("{"):
      return try parseRecord()
    case .newline, .end:
      throw error("the statement ends too early", hint: "an expression is missing here")
    default:
      throw error("unexpected \(token.text)")
    }
  }

  /// `{name: value, …}`; fields may also be separated by new lines.
  private mutating func parseRecord() throws -> Expr {
    let location = here
    position += 1
    var fields: [(name: String, value: Expr)] = []
    let saved = headerMode
    headerMode = false
    defer { headerMode = saved }
    while true {
      skipNewlines()
      if isSymbol("}") { break }
      let name: String
      switch current.kind {
      case .identifier(let n), .string(let n): name = n
      case .keyword(let k): name = k
      default: throw error("expected a field name in a record like {lr: 0.1}")
      }
      guard !fields.contains(where: { $0.name == name }) else { throw error("field '\(name)' is given twice") }
      position += 1
      try expect(":")
      fields.append((name, try parseExpression()))
      skipNewlines()
      if isSymbol(",") { position += 1 } else if !isSymbol("}") { throw error("expected ',' or '}' in a record") }
    }
    try expect("}")
    return Expr(kind: .record(fields), location: location)
  }

  /// Whether `(` opens `(params) =>`.
  private func startsLambda() -> Bool {
    var nesting = 0
    var i = position
    while i < tokens.count {
      switch tokens[i].kind {
      case .symbol("("), .symbol("["), .symbol("{"): nesting += 1
      case .symbol(")"), .symbol("]"), .symbol("}"):
        nesting -= 1
        if nesting == 0 { return i + 1 < tokens.count && tokens[i + 1].kind == .symbol("=>") }
      case .end: return false
      default: break
      }
      i += 1
    }
    return false
  }

  private mutating func parseLambda() throws -> Expr {
    let location = here
    position += 1
    let parameters = try parseParameters()
    try expect("=>")
    try enter()
    defer { depth -= 1 }
    let body: [Stmt]
    // `=> {name: …}` is a record; any other `{` opens a block of statements.
    let recordFollows: Bool = {
      guard position + 2 < tokens.count else { return false }
      switch tokens[position + 1].kind {
      case .identifier, .string, .keyword: return tokens[position + 2].kind == .symbol(":")
      default: return false
      }
    }()
    if isSymbol("{"), !recordFollows {
      body = try parseBody()
    } else {
      let value = try parseExpression()
      body = [.returnValue(value, location: value.location)]
    }
    return Expr(
      kind: .lambda(FunctionDecl(name: "<lambda>", parameters: parameters, body: body, doc: nil, location: location)),
      location: location)
  }

  // MARK: string interpolation

  private static let formatSpec = try? NSRegularExpression(pattern: #"^[<>^]?[0-9]*(\.[0-9]+)?[fdeg%s]?$"#)

  private func templateSegment(_ part: TemplatePart) throws -> TemplateSegment {
    switch part {
    case .text(let text): return .text(text)
    case .code(let code, let line, let column):
      var source = code
      var format: String?
      if let colon = code.lastIndex(of: ":") {
        let spec = String(code[code.index(after: colon)...])
        let range = NSRange(spec.startIndex..., in: spec)
        if !spec.isEmpty, Parser.formatSpec?.firstMatch(in: spec, range: range) != nil {
          format = spec
          source = String(code[..<colon])
        }
      }
      var lexer = Lexer(file: file, fragment: source, line: line, column: column)
      var parser = Parser(file: file, tokens: try lexer.tokenize())
      parser.depth = depth
      let expr = try parser.parseExpression()
      guard case .end = parser.current.kind else {
        throw AtelierError("unexpected \(parser.current.text) inside {…}", at: parser.here)
      }
      return .value(expr, format: format)
    }
  }
}
