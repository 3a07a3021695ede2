import Crypto
import Data
import Foundation

/// A sweep's folder: `manifest.json`, and per task `tasks/<index>/` holding the run's
/// `--out` files, its `log.txt` and, once it finished, `result.json`.
public struct SweepFolder {
  public let path: String

  public init(_ path: String) { self.path = path }

  public var manifest: String { path + "/manifest.json" }
  public func taskFolder(_ index: Int) -> String { path + "/tasks/\(index)" }
  public func resultFile(_ index: Int) -> String { taskFolder(index) + "/result.json" }
  public func logFile(_ index: Int) -> String { taskFolder(index) + "/log.txt" }

  public static func hash(of text: String) -> String {
    SHA256.hash(data: Data(text.utf8)).hex
  }

  public func readPlan() throws -> SweepPlan? {
    guard FileManager.default.fileExists(atPath: manifest) else { return nil }
    let size = (try? FileManager.default.attributesOfItem(atPath: manifest)[.size] as? Int) ?? nil
    guard let size, size < 64 << 20, let data = FileManager.default.contents(atPath: manifest),
      let plan = try? JSONDecoder().decode(SweepPlan.self, from: data), plan.isConsistent
    else { throw AtelierError("\(manifest) is not a sweep manifest", hint: "remove the folder or choose another out:") }
    return plan
  }

  /// Writes the plan, or checks it against the one already there: a sweep picks up where it
  /// stopped, but never mixes results of a changed notebook or grid unless told to.
  public func prepare(_ plan: SweepPlan, allowChanged: Bool) throws {
    if let existing = try readPlan() {
      if existing.names != plan.names || existing.values != plan.values || existing.folds != plan.folds
        || existing.fixedNames != plan.fixedNames || existing.fixedValues != plan.fixedValues
      {
        throw AtelierError(
          "sweep: \(path) holds a sweep of other settings",
          hint: "choose another out:, or remove \(path) to start again")
      }
      let mixed = !resultsOfOtherVersions(plan).isEmpty
      if existing.notebookHash != plan.notebookHash || mixed, !allowChanged {
        throw AtelierError(
          "sweep: \(plan.notebook) changed since the results in \(path) were computed",
          hint: "allow_changed: true keeps them and runs only what is missing; remove \(path) to run everything again")
      }
    }
    for task in plan.tasks {
      try FileManager.default.createDirectory(atPath: taskFolder(task.index), withIntermediateDirectories: true)
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try AtomicFile.write(String(decoding: try encoder.encode(plan), as: UTF8.self) + "\n", to: manifest)
  }

  public func isDone(_ index: Int) -> Bool { FileManager.default.fileExists(atPath: resultFile(index)) }

  /// The metrics a finished task reported with `result(…)`.
  public func result(_ index: Int) -> [(String, Value)]? {
    guard let file = readResult(index) else { return nil }
    return file.order.map { name in
      switch file.metrics[name] {
      case .bool(let b)?: return (name, .bool(b))
      case .number(let n)?: return (name, .number(n))
      case .string(let text)?: return (name, .string(text))
      default: return (name, .none)
      }
    }
  }

  private func readResult(_ index: Int) -> ResultFile? {
    guard let data = FileManager.default.contents(atPath: resultFile(index)), data.count < 1 << 20 else { return nil }
    return try? JSONDecoder().decode(ResultFile.self, from: data)
  }

  /// `result.json`: decoded by type, so that 1 stays a number and true a flag.
  struct ResultFile: Decodable {
    let order: [String]
    let metrics: [String: JSONValue]
    let notebook: String?
  }

  /// The tasks whose result was computed for another version of the notebook.
  public func resultsOfOtherVersions(_ plan: SweepPlan) -> [Int] {
    plan.tasks.map(\.index).filter { index in
      guard let hash = readResult(index)?.notebook else { return false }
      return hash != plan.notebookHash
    }
  }

  /// The last lines of a task's log, for a failure report.
  public func logTail(_ index: Int, lines: Int = 8) -> String {
    guard let handle = FileHandle(forReadingAtPath: logFile(index)) else { return "(no log)" }
    defer { try? handle.close() }
    let size = (try? handle.seekToEnd()) ?? 0
    try? handle.seek(toOffset: size > 8192 ? size - 8192 : 0)
    let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    return text.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines).joined(separator: "\n")
  }
}

/// `result({val_acc: …})` in a run of a sweep: the metrics, in their order, as JSON.
public enum SweepResult {
  /// Set by the sweep for its runs: the hash of the notebook they run, kept in each result.
  public static let notebookVariable = "ATELIER_SWEEP_NOTEBOOK"

  public static func write(_ record: Record, to path: String, notebook: String? = nil) throws {
    var metrics: [String: Any] = [:]
    for (name, value) in record.fields {
      switch value {
      case .number(let n): metrics[name] = n.isFinite ? n : NSNull()
      case .bool(let b): metrics[name] = b
      case .string(let s): metrics[name] = s
      default:
        throw AtelierError("result: \(name) is a \(value.typeName); results are numbers, strings or true/false")
      }
    }
    var object: [String: Any] = ["order": record.names, "metrics": metrics]
    if let notebook { object["notebook"] = notebook }
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    try AtomicFile.write(String(decoding: data, as: UTF8.self) + "\n", to: path)
  }
}
