import Foundation

/// The table a sweep returns, as `grid` does: a row per setting with the mean of each
/// metric over its finished folds (and its spread with more than one), best first; with
/// one fold, the run's folder (`out`) where it saved what it made.
public enum SweepTable {
  public static func rows(_ plan: SweepPlan, in folder: SweepFolder, by: String) throws -> [Value] {
    var rows: [Record] = []
    var metricNames: [String] = []
    for (settingIndex, setting) in plan.settings.enumerated() {
      let tasks = plan.tasks[(settingIndex * plan.folds)..<((settingIndex + 1) * plan.folds)]
      let results = tasks.compactMap { folder.result($0.index) }
      guard !results.isEmpty else { continue }
      var record = Record(plan.names.compactMap { name in setting[name].map { (name, $0.value) } })
      for (name, first) in results[0] {
        if !metricNames.contains(name) { metricNames.append(name) }
        let numbers = results.compactMap { fields -> Double? in
          if case .number(let n)? = fields.first(where: { $0.0 == name })?.1 { return n }
          return nil
        }
        guard numbers.count == results.count, !numbers.isEmpty else {
          record[name] = first
          continue
        }
        let mean = numbers.reduce(0, +) / Double(numbers.count)
        record[name] = .number(mean)
        if plan.folds > 1 {
          let spread = (numbers.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(numbers.count)).squareRoot()
          record[name + "_std"] = .number(spread)
        }
      }
      if plan.folds > 1 {
        record["folds"] = .number(Double(results.count))
      } else if let task = tasks.first {
        // What the run wrote (checkpoints, histories, figures) is in its folder.
        record["out"] = .string(folder.taskFolder(task.index))
      }
      rows.append(record)
    }
    guard rows.isEmpty || metricNames.contains(by) else {
      throw AtelierError(
        "sweep: no result is named \(by)",
        hint: "the runs reported \(metricNames.joined(separator: ", ")); sort with by: one of them")
    }
    // Losses and errors are best low, everything else high.
    let ascending = by.contains("loss") || by.contains("err")
    let key = { (r: Record) -> Double in
      if case .number(let n)? = r[by] { return ascending ? n : -n }
      return .infinity
    }
    return rows.enumerated().sorted { (key($0.element), $0.offset) < (key($1.element), $1.offset) }
      .map { .record($0.element) }
  }
}
