import Tensor

/// A layer setting's value as a notebook or a model file gives it, before it is checked.
public enum SettingValue {
  case number(Double)
  case flag(Bool)
  case text(String)
  case list([SettingValue])
  case layer(Layer)
}

/// What a layer setting takes. The builtins and the model-file reader check values
/// against these same forms, so a file cannot make a layer a notebook could not.
public enum SettingForm {
  /// A count or a size.
  case whole(ClosedRange<Int>)
  /// A finite number.
  case number(ClosedRange<Double>)
  case flag
  /// One of a few words.
  case choice([String])
  /// A count, or one of a few words (conv's `pad: 2` or `pad: "same"`).
  case wholeOrChoice(ClosedRange<Int>, [String])
  /// One whole number, or a list of `counts` of them (a shape, padding per side).
  case wholes(ClosedRange<Int>, counts: Set<Int>)
  /// A list of `counts` finite numbers.
  case numbers(counts: Set<Int>)
  /// Layers a container holds, given as a list or a `{ … }` block.
  case layers
  /// A sequential model (a VAE's encoder and decoder).
  case model

  /// `value` in this form, or why not (a phrase following "NAME must be").
  func checked(_ value: SettingValue) -> Result<SettingValue, SettingProblem> {
    switch (self, value) {
    case (.whole(let range), .number(let n)):
      return SettingForm.isWhole(n, in: range) ? .success(value) : .failure(.init(expected: wholeDescription(range)))
    case (.number(let range), .number(let n)):
      return n.isFinite && range.contains(n)
        ? .success(value) : .failure(.init(expected: SettingForm.numberRange(range)))
    case (.flag, .flag): return .success(value)
    case (.choice(let options), .text(let text)):
      return options.contains(text) ? .success(value) : .failure(.init(expected: SettingForm.listed(options)))
    case (.wholeOrChoice(let range, let options), .number(let n)):
      return SettingForm.isWhole(n, in: range)
        ? .success(value) : .failure(.init(expected: "\(wholeDescription(range)) or \(SettingForm.listed(options))"))
    case (.wholeOrChoice(let range, let options), .text(let text)):
      return options.contains(text)
        ? .success(value) : .failure(.init(expected: "\(wholeDescription(range)) or \(SettingForm.listed(options))"))
    case (.wholes(let range, let counts), .number):
      return wholeList([value], range, counts)
    case (.wholes(let range, let counts), .list(let items)):
      return wholeList(items, range, counts)
    case (.numbers(let counts), .list(let items)):
      let finite = items.allSatisfy { if case .number(let n) = $0 { n.isFinite && abs(n) < 1e6 } else { false } }
      return finite && counts.contains(items.count)
        ? .success(value) : .failure(.init(expected: "a list of \(SettingForm.counted(counts)) numbers"))
    case (.layers, .list(let items)):
      let all = items.allSatisfy { if case .layer = $0 { true } else { false } }
      return all && !items.isEmpty ? .success(value) : .failure(.init(expected: "a list of at least one layer"))
    case (.model, .layer(let layer)):
      return layer is Sequential ? .success(value) : .failure(.init(expected: "a model"))
    default:
      return .failure(.init(expected: description))
    }
  }

  /// What the form takes, for messages and help.
  public var description: String {
    switch self {
    case .whole(let range): return wholeDescription(range)
    case .number(let range): return SettingForm.numberRange(range)
    case .flag: return "true or false"
    case .choice(let options): return SettingForm.listed(options)
    case .wholeOrChoice(let range, let options): return "\(wholeDescription(range)) or \(SettingForm.listed(options))"
    case .wholes(let range, let counts):
      return "\(SettingForm.counted(counts)) whole numbers from \(range.lowerBound) to \(range.upperBound)"
    case .numbers(let counts): return "a list of \(SettingForm.counted(counts)) numbers"
    case .layers: return "a list of layers"
    case .model: return "a model"
    }
  }

  private func wholeDescription(_ range: ClosedRange<Int>) -> String {
    "a whole number from \(range.lowerBound) to \(range.upperBound)"
  }

  private func wholeList(_ items: [SettingValue], _ range: ClosedRange<Int>, _ counts: Set<Int>) -> Result<
    SettingValue, SettingProblem
  > {
    let whole = items.allSatisfy { if case .number(let n) = $0 { SettingForm.isWhole(n, in: range) } else { false } }
    return whole && counts.contains(items.count) ? .success(.list(items)) : .failure(.init(expected: description))
  }

  static func isWhole(_ n: Double, in range: ClosedRange<Int>) -> Bool {
    n.rounded() == n && n >= Double(range.lowerBound) && n <= Double(range.upperBound)
  }

  private static func listed(_ options: [String]) -> String {
    "one of " + options.map { "\"\($0)\"" }.joined(separator: ", ")
  }

  /// `1 to 8` for a run of lengths, `1 or 4` otherwise.
  private static func counted(_ counts: Set<Int>) -> String {
    let sorted = counts.sorted()
    guard let first = sorted.first, let last = sorted.last else { return "no" }
    if sorted.count > 2, sorted.count == last - first + 1 { return "\(first) to \(last)" }
    return sorted.map(String.init).joined(separator: " or ")
  }

  private static func numberRange(_ range: ClosedRange<Double>) -> String {
    "a number from \(SettingValue.number(range.lowerBound).shown) to \(SettingValue.number(range.upperBound).shown)"
  }
}

/// Why a setting's value was refused: what it should have been.
public struct SettingProblem: Error {
  public let expected: String
}

/// One setting of a layer kind, with its name in notebooks and model files.
public struct LayerSetting {
  public let name: String
  public let form: SettingForm
  /// The value when none is given; nil for a required setting unless `optional`.
  public let defaultValue: SettingValue?
  /// Whether the setting may be left out with no default (maxpool's stride).
  public let optional: Bool
  public let help: String

  public init(_ name: String, _ form: SettingForm, default defaultValue: SettingValue? = nil, _ help: String = "") {
    self.name = name
    self.form = form
    self.defaultValue = defaultValue
    self.optional = false
    self.help = help
  }

  /// A setting that may be left out, with no default.
  public static func optional(_ name: String, _ form: SettingForm, _ help: String = "") -> LayerSetting {
    LayerSetting(name, form, help: help)
  }

  private init(_ name: String, _ form: SettingForm, help: String) {
    self.name = name
    self.form = form
    self.defaultValue = nil
    self.optional = true
    self.help = help
  }
}

/// A layer's settings after they were checked against its kind, read by name.
public struct LayerSettings {
  public let kind: LayerKind
  let values: [String: SettingValue]
  /// The generator for a model built as it is made (`model(input: …)`).
  public let rng: RandomSource

  /// Checks `given` against `kind`'s settings, filling defaults; errors name the
  /// layer and the setting.
  public init(_ kind: LayerKind, _ given: [String: SettingValue], rng: RandomSource) throws {
    var values: [String: SettingValue] = [:]
    for name in given.keys where !kind.settings.contains(where: { $0.name == name }) {
      throw LayerError(layer: kind.builtin, "has no setting '\(name)'")
    }
    for setting in kind.settings {
      guard let value = given[setting.name] ?? setting.defaultValue else {
        if setting.optional { continue }
        if case .layers = setting.form {
          throw LayerError(layer: kind.builtin, "needs at least one layer", hint: "\(kind.builtin) { dense 10 }")
        }
        throw LayerError(layer: kind.builtin, "needs a value for '\(setting.name)'")
      }
      switch setting.form.checked(value) {
      case .success(let checked): values[setting.name] = checked
      case .failure(let problem):
        throw LayerError(layer: kind.builtin, "\(setting.name) must be \(problem.expected), not \(value.shown)")
      }
    }
    self.kind = kind
    self.values = values
    self.rng = rng
  }

  public func has(_ name: String) -> Bool { values[name] != nil }

  // The accessors below read values `init` checked against their forms.

  public func int(_ name: String) -> Int {
    if case .number(let n) = values[name] { return Int(n) }
    return 0
  }

  public func optionalInt(_ name: String) -> Int? { has(name) ? int(name) : nil }

  public func float(_ name: String) -> Float {
    if case .number(let n) = values[name] { return Float(n) }
    return 0
  }

  public func flag(_ name: String) -> Bool {
    if case .flag(let b) = values[name] { return b }
    return false
  }

  public func text(_ name: String) -> String? {
    if case .text(let s) = values[name] { return s }
    return nil
  }

  public func ints(_ name: String) -> [Int] { numbers(name).map { Int($0) } }

  public func floats(_ name: String) -> [Float] { numbers(name).map(Float.init) }

  private func numbers(_ name: String) -> [Double] {
    guard case .list(let items) = values[name] else { return [] }
    return items.compactMap { if case .number(let n) = $0 { n } else { nil } }
  }

  public func layers(_ name: String) -> [Layer] {
    guard case .list(let items) = values[name] else { return [] }
    return items.compactMap { if case .layer(let l) = $0 { l } else { nil } }
  }

  public func model(_ name: String) -> Sequential? {
    if case .layer(let l) = values[name] { return l as? Sequential }
    return nil
  }
}

extension SettingValue {
  /// The value as a message shows it.
  public var shown: String {
    switch self {
    case .number(let n): return n.rounded() == n && abs(n) < 1e15 ? String(Int(n)) : String(n)
    case .flag(let b): return String(b)
    case .text(let s): return "\"\(s)\""
    case .list(let items): return "[" + items.map(\.shown).joined(separator: ", ") + "]"
    case .layer(let l): return "a layer (\(l.kind))"
    }
  }

  /// Whole numbers as a setting value.
  public static func wholes(_ items: [Int]) -> SettingValue { .list(items.map { .number(Double($0)) }) }
}

/// A kind of layer, declared once: the settings it takes, how to make one from them and
/// how to read them back from a layer. The builtins, `summary`, `.atlm` files and `:help`
/// all go through this declaration.
public struct LayerKind {
  /// The name in model files and automatic layer names (`bn` gives bn1, bn2, …).
  public let kind: String
  /// The builtin that makes it in notebooks (`batchnorm`).
  public let builtin: String
  public let settings: [LayerSetting]
  public let summary: String
  public let help: String
  let make: (LayerSettings) throws -> Layer
  let read: (Layer) -> [String: SettingValue]

  init<L: Layer>(
    _ kind: String, builtin: String? = nil, _ type: L.Type, settings: [LayerSetting] = [], summary: String,
    help: String = "", make: @escaping (LayerSettings) throws -> L,
    read: @escaping (L) -> [String: SettingValue] = {
      _ in [:]
    }
  ) {
    self.kind = kind
    self.builtin = builtin ?? kind
    self.settings = settings
    self.summary = summary
    self.help = help
    self.make = make
    self.read = { layer in (layer as? L).map(read) ?? [:] }
  }

  /// Whether a layer's kind takes a `{ … }` block of layers.
  public var holdsLayers: Bool { settings.contains { if case .layers = $0.form { true } else { false } } }

  /// A layer of this kind from settings not yet checked.
  public func make(_ given: [String: SettingValue], rng: RandomSource) throws -> Layer {
    try make(LayerSettings(self, given, rng: rng))
  }

  /// The settings that make `layer` again.
  public func settings(of layer: Layer) -> [String: SettingValue] { read(layer) }
}
