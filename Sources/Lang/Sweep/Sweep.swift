import Foundation
import Tensor

/// A grid of settings run as separate processes of a notebook, locally or on Slurm, and
/// the table of their results.
public enum Sweep {
  /// Plans (or picks up) the sweep in `out`, runs what has no result, and returns the
  /// report and the table of everything finished (nil when the runs were only submitted).
  public static func run(
    notebook: String, grid: [(String, [SweepValue])], fixed: [(String, SweepValue)] = [], folds: Int, out: String,
    by: String, options: SweepOptions,
    executable: String, write: @escaping (String) -> Void, isTerminal: Bool
  ) throws -> (report: SweepReport, rows: [Value]?) {
    guard let text = try? String(contentsOfFile: notebook, encoding: .utf8) else {
      throw AtelierError("sweep: \(notebook): no such notebook")
    }
    guard !grid.isEmpty, grid.allSatisfy({ !$0.1.isEmpty }) else {
      throw AtelierError("sweep: the grid needs at least one name with at least one value")
    }
    guard !(grid.map(\.0) + fixed.map(\.0)).contains("fold") else {
      throw AtelierError("sweep: fold is set by the sweep itself", hint: "use folds: n")
    }
    let absolute = URL(fileURLWithPath: notebook).standardizedFileURL.path
    let plan = SweepPlan(
      notebook: absolute, notebookHash: SweepFolder.hash(of: text + usedTexts(of: text, besides: absolute)), grid: grid,
      fixed: fixed, folds: folds,
      version: AtelierVersion.number)
    guard plan.tasks.count <= 100_000 else { throw AtelierError("sweep: \(plan.tasks.count) runs; at most 100,000") }
    let folder = SweepFolder(URL(fileURLWithPath: out).standardizedFileURL.path)
    try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
    // One sweep at a time in a folder: two would run the same tasks and write the same files.
    let lock = open(folder.path + "/.lock", O_CREAT | O_RDWR, 0o644)
    guard lock >= 0, flock(lock, LOCK_EX | LOCK_NB) == 0 else {
      if lock >= 0 { close(lock) }
      throw AtelierError(
        "sweep: another sweep is running in \(folder.path)", hint: "wait for it, or choose another out:")
    }
    defer { close(lock) }
    try folder.prepare(plan, allowChanged: options.allowChanged)
    let runner = SweepRunner(
      plan: plan, folder: folder, executable: executable, options: options, write: write, isTerminal: isTerminal)
    let report: SweepReport
    switch options.backend {
    case .local: report = try runner.runLocal()
    case .slurm: report = try runner.runOnSlurm()
    }
    if options.backend == .slurm, !options.wait { return (report, nil) }
    return (report, try SweepTable.rows(plan, in: folder, by: by))
  }

  /// The text of the notebooks a notebook `use`s from its own folder (a variant table, a
  /// helper), so that editing them counts as changing the notebook.
  static func usedTexts(of text: String, besides notebook: String, depth: Int = 0) -> String {
    guard depth < 8 else { return "" }
    let folder = URL(fileURLWithPath: notebook).deletingLastPathComponent()
    var texts = ""
    for line in text.split(separator: "\n") {
      let words = line.trimmingCharacters(in: .whitespaces)
      guard words.hasPrefix("use \""), let close = words.dropFirst(5).firstIndex(of: "\"") else { continue }
      let path = folder.appendingPathComponent(String(words[words.index(words.startIndex, offsetBy: 5)..<close])).path
      guard let used = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
      texts += "\u{0}" + used + usedTexts(of: used, besides: path, depth: depth + 1)
    }
    return texts
  }

  /// The table of a sweep folder's results as they are now, and what is missing.
  public static func gather(_ out: String, by: String) throws -> (report: SweepReport, rows: [Value]) {
    let folder = SweepFolder(URL(fileURLWithPath: out).standardizedFileURL.path)
    guard let plan = try folder.readPlan() else {
      throw AtelierError("gather: \(out) holds no sweep (no manifest.json)")
    }
    let missing = plan.tasks.filter { !folder.isDone($0.index) }
    var report = SweepReport(
      plan: plan, total: plan.tasks.count, done: plan.tasks.count - missing.count,
      failures: missing.map { task in
        let log = folder.logTail(task.index)
        return (task, log == "(no log)" ? "not run yet" : "no result", log)
      })
    report.otherVersions = folder.resultsOfOtherVersions(plan).count
    return (report, try SweepTable.rows(plan, in: folder, by: by))
  }

  /// The values `grid:` gives: a record of lists (or single values).
  public static func grid(_ value: Value) throws -> [(String, [SweepValue])] {
    guard case .record(let record) = value else {
      throw AtelierError("sweep: grid is a record of lists, e.g. {lr: [0.01, 0.1], dropout: [0.3, 0.5]}")
    }
    return try record.fields.map { field in
      let items: [Value]
      if case .list(let list) = field.value { items = list } else { items = [field.value] }
      return (field.name, try items.map { try sweepValue($0, field.name) })
    }
  }

  /// The settings `set:` gives every run: a record of single values.
  public static func fixed(_ value: Value) throws -> [(String, SweepValue)] {
    guard case .record(let record) = value else { throw AtelierError("sweep: set is a record, e.g. {quick: true}") }
    return try record.fields.map { ($0.name, try sweepValue($0.value, $0.name)) }
  }

  static func sweepValue(_ item: Value, _ name: String) throws -> SweepValue {
    switch item {
    case .number(let n) where n.isFinite: return .number(n)
    case .bool(let b): return .bool(b)
    case .string(let s) where !s.contains("\n"): return .string(s)
    default: throw AtelierError("sweep: \(name)'s values are numbers, strings or true/false, not a \(item.typeName)")
    }
  }
}
