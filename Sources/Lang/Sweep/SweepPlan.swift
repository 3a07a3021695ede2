import Foundation

/// One value of a grid axis, as `--set name=value` passes it to a run.
public enum SweepValue: Codable, Equatable, Sendable {
  case number(Double)
  case bool(Bool)
  case string(String)

  /// The text after `name=` in `--set`, read back by the same rule (`settingValue`).
  public var setText: String {
    switch self {
    case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
    case .bool(let b): return b ? "true" : "false"
    // A string that would read as a number, true/false or none goes in quotes.
    case .string(let s):
      if case .string(let read) = settingValue(s), read == s { return s }
      return "\"" + s + "\""
    }
  }

  public var value: Value {
    switch self {
    case .number(let n): return .number(n)
    case .bool(let b): return .bool(b)
    case .string(let s): return .string(s)
    }
  }
}

/// `name=text` from `--set`: a number, true/false, none, or else a string; `"001"` in
/// quotes is the string 001.
public func settingValue(_ text: String) -> Value {
  if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { return .string(String(text.dropFirst().dropLast())) }
  if let n = Double(text), n.isFinite { return .number(n) }
  if text == "true" || text == "false" { return .bool(text == "true") }
  if text == "none" { return .none }
  return .string(text)
}

/// One run of the notebook: a setting of the grid and a fold.
public struct SweepTask: Codable, Equatable, Sendable {
  public let index: Int
  public let setting: [String: SweepValue]
  public let fold: Int

  /// The arguments after `atelier run`: the settings every run shares, then this run's
  /// (in the grid's order) and its fold.
  public func runArguments(_ plan: SweepPlan, folder: String) -> [String] {
    // Runs do not share the notebook's replay cache: each computes its own setting once.
    var arguments = [plan.notebook, "--out", folder, "--result", folder + "/result.json", "--no-cache"]
    for (name, value) in plan.fixed { arguments += ["--set", "\(name)=\(value.setText)"] }
    for name in plan.names { arguments += ["--set", "\(name)=\(setting[name]?.setText ?? "")"] }
    return arguments + ["--set", "fold=\(fold)"]
  }
}

/// What a sweep is: a notebook, its settings and folds. Written to the sweep folder as
/// `manifest.json`, so that a later run (or `gather`) knows what the results belong to.
public struct SweepPlan: Codable, Equatable, Sendable {
  public var atelierVersion: String
  public let notebook: String
  public let notebookHash: String
  /// The grid's names in the order given, and each one's values.
  public let names: [String]
  public let values: [String: [SweepValue]]
  public let folds: Int
  /// Settings every run gets (`set: {quick: true}`), in the order given.
  public let fixedNames: [String]
  public let fixedValues: [String: SweepValue]
  public let tasks: [SweepTask]

  public var fixed: [(String, SweepValue)] { fixedNames.compactMap { name in fixedValues[name].map { (name, $0) } } }

  public init(
    notebook: String, notebookHash: String, grid: [(String, [SweepValue])], fixed: [(String, SweepValue)] = [],
    folds: Int, version: String
  ) {
    atelierVersion = version
    fixedNames = fixed.map(\.0)
    fixedValues = Dictionary(fixed, uniquingKeysWith: { a, _ in a })
    self.notebook = notebook
    self.notebookHash = notebookHash
    names = grid.map(\.0)
    values = Dictionary(grid, uniquingKeysWith: { a, _ in a })
    self.folds = folds
    // Settings in the grid's order, the last name changing fastest; folds innermost.
    var settings: [[String: SweepValue]] = [[:]]
    for (name, options) in grid {
      settings = settings.flatMap { partial in options.map { partial.merging([name: $0]) { a, _ in a } } }
    }
    var tasks: [SweepTask] = []
    for setting in settings {
      for fold in 0..<folds { tasks.append(SweepTask(index: tasks.count, setting: setting, fold: fold)) }
    }
    self.tasks = tasks
  }

  /// Whether a plan read from a file is one `init` could have made: the tasks are every
  /// setting of the grid times the folds, numbered in order.
  var isConsistent: Bool {
    guard (1...1000).contains(folds), Set(values.keys) == Set(names), names.count == Set(names).count else {
      return false
    }
    let settings = names.reduce(1) { count, name in count * (values[name]?.count ?? 0) }
    guard settings > 0, settings <= 100_000, tasks.count == settings * folds else { return false }
    return tasks.enumerated().allSatisfy { index, task in
      task.index == index && task.fold == index % folds && Set(task.setting.keys) == Set(names)
    }
  }

  /// The settings in order, each once.
  public var settings: [[String: SweepValue]] {
    stride(from: 0, to: tasks.count, by: max(folds, 1)).map { tasks[$0].setting }
  }
}
