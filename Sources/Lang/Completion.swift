/// Tab-completion candidates from the registry, the session's variables and their members.
public enum Completion {
  /// With the text before the word: inside a call's parentheses its named arguments
  /// (`tsne(f, perp` → `perplexity:`) come first.
  public static func candidates(for word: String, before: String, interpreter: Interpreter) -> [String] {
    guard !word.contains("."), let callee = enclosingCallName(before) else {
      return candidates(for: word, interpreter: interpreter)
    }
    let names: [String]
    if case .function(let f)? = interpreter.variable(callee) {
      names = f.declaration.parameters.map(\.name)
    } else {
      names = Registry.byName[callee]?.parameters.map(\.name) ?? []
    }
    // readline adds the space after a single match.
    let named = names.filter { $0.hasPrefix(word) }.map { "\($0):" }
    return named + candidates(for: word, interpreter: interpreter).filter { !named.contains("\($0):") }
  }

  /// The function whose parentheses the end of `text` is inside: `fit(net, d, ` → fit.
  public static func enclosingCallName(_ text: String) -> String? {
    var depth = 0
    var inString = false
    let characters = Array(text)
    for i in characters.indices.reversed() {
      let c = characters[i]
      if c == "\"" { inString.toggle() }
      if inString { continue }
      if c == ")" || c == "]" || c == "}" { depth += 1 }
      if c == "[" || c == "{" { depth -= 1 }
      if c == "(" {
        if depth == 0 {
          let name = characters[..<i].reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }
          return name.isEmpty ? nil : String(name.reversed())
        }
        depth -= 1
      }
      if depth < 0 { return nil }
    }
    return nil
  }

  public static func candidates(for word: String, interpreter: Interpreter) -> [String] {
    if let dot = word.lastIndex(of: ".") {
      let path = word[..<dot].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
      let prefix = String(word[word.index(after: dot)...])
      guard let value = resolve(path, interpreter) else { return [] }
      let base = String(word[..<dot])
      return interpreter.memberNames(of: value).filter { $0.hasPrefix(prefix) }.sorted().map { "\(base).\($0)" }
    }
    let names = Set(Registry.all.map(\.name)).union(interpreter.globals.keys).union(Lexer.keywords)
    return names.filter { $0.hasPrefix(word) }.sorted()
  }

  /// Follows `a.b.c` through variables and members without calling anything.
  static func resolve(_ path: [String], _ interpreter: Interpreter) -> Value? {
    guard let first = path.first, var value = interpreter.variable(first) else { return nil }
    for name in path.dropFirst() {
      guard !name.isEmpty, let next = try? interpreter.memberForCompletion(of: value, name) else { return nil }
      value = next
    }
    return value
  }
}

/// The text of `:help` and `:help name`.
public enum Help {
  public static func text(for name: String?, interpreter: Interpreter) -> String {
    guard let name else { return overview() }
    if let entry = entry(for: name, interpreter: interpreter) { return entry }
    let known = Registry.all.map(\.name) + Array(interpreter.globals.keys)
    return "no help for '\(name)'" + (suggestion(for: name, among: known).map { "; did you mean '\($0)'?" } ?? "")
  }

  /// The help of a variable, function or builtin; nil when the name is unknown.
  public static func entry(for name: String, interpreter: Interpreter) -> String? {
    if let value = interpreter.variable(name) {
      switch value {
      case .function(let f):
        return "\(f.signature)" + (f.declaration.doc.map { "\n  \($0)" } ?? "")
      case .builtin(let b): return builtin(b)
      default: return "\(name) is a \(value.typeName):\n\(Printer.show(value))"
      }
    }
    return Registry.byName[name].map(builtin)
  }

  static func builtin(_ b: Builtin) -> String {
    var text = "\(b.signature)\n  \(b.summary)"
    let described = b.parameters.filter { !$0.help.isEmpty }
    if !described.isEmpty {
      text +=
        "\n"
        + described.map { "  \($0.name)\($0.typeDescription): \($0.help)" }.joined(
          separator: "\n")
    }
    if !b.help.isEmpty { text += "\n  \(b.help)" }
    return text
  }

  static func overview() -> String {
    var text = "Statements: name = expr, def f(x, k: 1) { … }, if/elif/else, for x in xs { … }, while, use \"file\".\n"
    text += "Commands: :help [name], :vars, :time stmt, :load file, :save file, :quit.\n"
    for family in Registry.families {
      let names = Registry.all.filter { $0.family == family }.map(\.name)
      text += "\n\(family): " + names.joined(separator: ", ")
    }
    return text + "\n\n:help NAME shows a builtin's parameters."
  }
}
