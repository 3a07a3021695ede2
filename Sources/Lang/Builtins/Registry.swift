/// A declared parameter of a builtin; required when it has no default.
public struct Parameter {
  public let name: String
  public let defaultValue: Value?
  /// The type a value must have, or nil for any.
  public let type: ValueType?
  /// For a count or a size: the whole numbers it takes. A number outside is refused when
  /// the call binds, and by the resolver before anything runs when it is written literally.
  public let whole: ClosedRange<Int>?
  /// For an option: the strings it takes. Another string is refused with the closest one
  /// suggested, when the call binds and, when written literally, by the resolver.
  public let oneOf: [String]?
  public let help: String

  /// A required parameter, optionally of one type (`type: .dataset`).
  public init(
    _ name: String, type: ValueType? = nil, whole: ClosedRange<Int>? = nil, oneOf: [String]? = nil,
    _ help: String = ""
  ) {
    self.name = name
    self.defaultValue = nil
    self.type = type
    self.whole = whole
    self.oneOf = oneOf
    self.help = help
  }

  /// An optional parameter; `default: .none` means "not given". The type is the default's
  /// unless given.
  public init(
    _ name: String, default defaultValue: Value, type: ValueType? = nil, whole: ClosedRange<Int>? = nil,
    oneOf: [String]? = nil, _ help: String = ""
  ) {
    self.name = name
    self.defaultValue = defaultValue
    self.whole = whole
    self.oneOf = oneOf
    self.type = type ?? (defaultValue.isNone ? nil : defaultValue.type)
    self.help = help
  }

  /// ` (number, 1 to 65536)` for help and docs; empty when any value goes.
  var typeDescription: String {
    let range =
      whole.map { ", \($0.lowerBound) to \($0.upperBound)" } ?? oneOf.map {
        ": " + $0.map { "\"\($0)\"" }.joined(separator: ", ")
      }
      ?? ""
    return type.map { " (\($0.rawValue)\(range))" } ?? (range.isEmpty ? "" : " (\(range.dropFirst(2)))")
  }

  /// The raw values of an option set, for `oneOf:`.
  public static func options<Option: RawRepresentable & CaseIterable>(_: Option.Type) -> [String]
  where Option.RawValue == String { Option.allCases.map(\.rawValue) }

  /// Why a string is not one of this option's values (and the closest one), or nil when it is.
  func optionProblem(_ value: Value, builtin: String) -> (message: String, hint: String?)? {
    guard let options = oneOf, case .string(let text) = value else { return nil }
    return Parameter.optionProblem(text, among: options, builtin: builtin, name: name)
  }

  static func optionProblem(_ text: String, among options: [String], builtin: String, name: String) -> (
    message: String, hint: String?
  )? {
    guard !options.contains(text) else { return nil }
    let listed = options.map { "\"\($0)\"" }.joined(separator: ", ")
    return (
      "\(builtin): \(name) must be one of \(listed), not \"\(text)\"",
      suggestion(for: text, among: options).map { "did you mean \"\($0)\"?" }
    )
  }

  /// Why a number cannot be this count or size, or nil when it can.
  func wholeNumberProblem(_ value: Value, builtin: String) -> String? {
    guard let range = whole, case .number(let n) = value else { return nil }
    return Parameter.wholeNumberProblem(n, in: range, builtin: builtin, name: name)
  }

  static func wholeNumberProblem(_ n: Double, in range: ClosedRange<Int>, builtin: String, name: String) -> String? {
    if n.rounded() == n, n >= Double(range.lowerBound), n <= Double(range.upperBound) { return nil }
    let shown = n.rounded() == n && abs(n) < 1e15 ? String(Int(n)) : Printer.number(n)
    return "\(builtin): \(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(shown)"
  }

  /// Whether `value` may be passed for this parameter.
  func accepts(_ value: Value) -> Bool {
    guard let type, type != .any else { return true }
    if value.isNone, defaultValue != nil { return true }
    return value.type == type || (type == .layer && value.type == .model)
  }
}

/// Arguments bound to a builtin's parameters, with typed accessors whose
/// errors name the builtin and the parameter.
public struct Arguments {
  public let builtin: String
  public let values: [String: Value]
  /// The declared ranges of count and size parameters, already checked.
  let wholeRanges: [String: ClosedRange<Int>]
  /// Items of a trailing `{ … }` block, already evaluated.
  public let block: [Value]?

  public subscript(name: String) -> Value { values[name] ?? .none }

  public func has(_ name: String) -> Bool { !(values[name]?.isNone ?? true) }

  private func mismatch(_ name: String, _ expected: String) -> AtelierError {
    AtelierError("\(builtin): \(name) must be \(expected), not \(self[name].typeName)")
  }

  public func number(_ name: String) throws -> Double {
    guard case .number(let n) = self[name] else { throw mismatch(name, "a number") }
    return n
  }

  /// Seeds: any whole number a double holds exactly.
  public static let seeds = -(1 << 53)...(1 << 53)
  /// Counts of items (images, points): any that could be held in memory.
  public static let maxCount = 1 << 40

  /// A whole number within `range`: counts and sizes reach loops and allocations, so
  /// one outside its range is an error naming the bounds, never a trap or a wrap.
  public func int(_ name: String, in range: ClosedRange<Int>) throws -> Int {
    let n = try number(name)
    if let problem = Parameter.wholeNumberProblem(n, in: range, builtin: builtin, name: name) {
      throw AtelierError(problem)
    }
    return Int(n)
  }

  public func optionalInt(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
    has(name) ? try int(name, in: range) : nil
  }

  /// A count or size within the range its parameter declares (`whole:`).
  public func int(_ name: String) throws -> Int { try int(name, in: wholeRanges[name] ?? Arguments.seeds) }

  public func optionalInt(_ name: String) throws -> Int? { has(name) ? try int(name) : nil }

  /// One of an option set's values, spelt as the enum's raw value; a misspelling names the closest.
  public func choice<Option: RawRepresentable & CaseIterable>(_ name: String, of _: Option.Type) throws -> Option
  where Option.RawValue == String {
    let text = try string(name)
    if let option = Option(rawValue: text) { return option }
    let problem = Parameter.optionProblem(text, among: Parameter.options(Option.self), builtin: builtin, name: name)
    throw AtelierError(problem?.message ?? "\(builtin): \(name) cannot be \"\(text)\"", hint: problem?.hint)
  }

  public func bool(_ name: String) throws -> Bool {
    guard case .bool(let b) = self[name] else { throw mismatch(name, "true or false") }
    return b
  }

  public func string(_ name: String) throws -> String {
    guard case .string(let s) = self[name] else { throw mismatch(name, "a string") }
    return s
  }

  public func list(_ name: String) throws -> [Value] {
    guard case .list(let items) = self[name] else { throw mismatch(name, "a list") }
    return items
  }
}

/// A function provided by Atelier. The one registry of these drives argument
/// checking, help and completion.
public final class Builtin {
  public let name: String
  public let family: String
  public let parameters: [Parameter]
  /// Whether any number of extra positional arguments are accepted (`print`).
  public let variadic: Bool
  public let acceptsBlock: Bool
  public let summary: String
  /// Longer help shown by `:help name` and in docs/LANGUAGE.md; may hold an example.
  public let help: String
  /// The parameters whose argument the builtin changes (`fit` trains its model): a
  /// replayed statement that calls it writes those names.
  public let mutates: Set<String>
  public let run: (Arguments, CallContext) throws -> Value

  public init(
    _ name: String, family: String, parameters: [Parameter] = [], variadic: Bool = false, acceptsBlock: Bool = false,
    summary: String, help: String = "", mutates: Set<String> = [],
    run: @escaping (Arguments, CallContext) throws -> Value
  ) {
    self.name = name
    self.mutates = mutates
    self.family = family
    self.parameters = parameters
    self.variadic = variadic
    self.acceptsBlock = acceptsBlock
    self.summary = summary
    self.help = help
    self.run = run
  }

  /// `conv(filters, kernel, stride: 1, pad: 0)`
  public var signature: String {
    let shown = parameters.map { p -> String in
      guard let d = p.defaultValue else { return p.name }
      return "\(p.name): \(Printer.inline(d))"
    }
    return "\(name)(\(shown.joined(separator: ", "))\(variadic ? ", …" : ""))"
  }

  /// Binds positional then named arguments, filling defaults.
  func bind(positional: [Value], named: [(String, Value)], block: [Value]?) throws -> Arguments {
    var values: [String: Value] = [:]
    var extra: [Value] = []
    for (i, value) in positional.enumerated() {
      if i < parameters.count {
        values[parameters[i].name] = value
      } else if variadic {
        extra.append(value)
      } else {
        throw AtelierError(
          "\(name) takes at most \(parameters.count) argument\(parameters.count == 1 ? "" : "s") but got \(positional.count)",
          hint: "usage: \(signature)")
      }
    }
    for (label, value) in named {
      guard parameters.contains(where: { $0.name == label }) else {
        let close = suggestion(for: label, among: parameters.map(\.name))
        throw AtelierError(
          "\(name) has no parameter '\(label)'", hint: close.map { "did you mean '\($0)'?" } ?? "usage: \(signature)")
      }
      guard values[label] == nil else { throw AtelierError("\(name): '\(label)' is given twice") }
      values[label] = value
    }
    for p in parameters where values[p.name] == nil {
      guard let d = p.defaultValue else {
        throw AtelierError("\(name) needs a value for '\(p.name)'", hint: "usage: \(signature)")
      }
      values[p.name] = d
    }
    for p in parameters {
      if let value = values[p.name], !p.accepts(value), let type = p.type {
        let article = "aeiou".contains(type.rawValue.first ?? "x") ? "an" : "a"
        throw AtelierError(
          "\(name): \(p.name) must be \(article) \(type.rawValue), not \(value.isNone ? "none" : "a \(value.typeName)")",
          hint: "usage: \(signature)")
      }
      if let value = values[p.name], let problem = p.wholeNumberProblem(value, builtin: name) {
        throw AtelierError(problem, hint: "usage: \(signature)")
      }
      if let value = values[p.name], let problem = p.optionProblem(value, builtin: name) {
        throw AtelierError(problem.message, hint: problem.hint ?? "usage: \(signature)")
      }
    }
    if variadic { values["*"] = .list(extra) }
    if block != nil, !acceptsBlock { throw AtelierError("\(name) does not take a { … } block") }
    let ranges = Dictionary(uniqueKeysWithValues: parameters.compactMap { p in p.whole.map { (p.name, $0) } })
    return Arguments(builtin: name, values: values, wholeRanges: ranges, block: block)
  }
}

/// All builtins by name, assembled from the families.
public enum Registry {
  public static let all: [Builtin] =
    coreBuiltins + mathBuiltins + collectionBuiltins + dataBuiltins + layerBuiltins + trainingBuiltins + lossBuiltins
    + analysisBuiltins + inspectionBuiltins + plotBuiltins + persistenceBuiltins + sweepBuiltins

  /// The families in the order the docs present them.
  public static let families = [
    "core", "math", "collections", "data", "layers", "training", "losses", "analysis", "plot", "persistence",
    "sweeps",
  ]

  public static let byName: [String: Builtin] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
}
