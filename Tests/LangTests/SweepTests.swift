import Foundation
import Testing

@testable import Lang

/// A sweep's plan, folder and table, without running anything.
@Suite struct SweepTests {
  func number(_ value: Value?) -> Double? {
    if case .number(let n)? = value { return n }
    return nil
  }

  func scratch() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID().uuidString)").path
  }

  @Test func aPlanRunsEverySettingAndFoldInTheGridsOrder() {
    let plan = SweepPlan(
      notebook: "/nb.atl", notebookHash: "h",
      grid: [("lr", [.number(0.1), .number(0.01)]), ("act", [.string("relu"), .string("tanh")])],
      fixed: [("quick", .bool(true))], folds: 2, version: "test")
    #expect(plan.tasks.count == 8)
    #expect(plan.tasks[3].setting == ["lr": .number(0.1), "act": .string("tanh")] && plan.tasks[3].fold == 1)
    #expect(plan.settings.count == 4 && plan.settings[2] == ["lr": .number(0.01), "act": .string("relu")])
    #expect(
      plan.tasks[3].runArguments(plan, folder: "/out/3") == [
        "/nb.atl", "--out", "/out/3", "--result", "/out/3/result.json", "--no-cache", "--set", "quick=true", "--set",
        "lr=0.1",
        "--set", "act=tanh", "--set", "fold=1",
      ])
    #expect(SweepRunner.arraySpec([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8")
  }

  @Test func theTableAveragesFoldsAndSortsBestFirst() throws {
    let folder = SweepFolder(scratch())
    defer { try? FileManager.default.removeItem(atPath: folder.path) }
    let plan = SweepPlan(
      notebook: "/nb.atl", notebookHash: "h", grid: [("lr", [.number(0.1), .number(0.01)])], folds: 2, version: "t")
    try folder.prepare(plan, allowChanged: false)
    let accuracies = [0.5, 0.7, 0.9, 0.8]
    for (index, acc) in accuracies.enumerated() {
      try SweepResult.write(
        Record([("val_acc", .number(acc)), ("val_loss", .number(1 - acc))]), to: folder.resultFile(index))
    }
    let rows = try SweepTable.rows(plan, in: folder, by: "val_acc")
    guard case .record(let best) = rows.first else { return #expect(Bool(false), "no rows") }
    #expect(number(best["lr"]) == 0.01 && number(best["folds"]) == 2)
    if case .number(let mean)? = best["val_acc"], case .number(let spread)? = best["val_acc_std"] {
      #expect(abs(mean - 0.85) < 1e-12 && abs(spread - 0.05) < 1e-12)
    } else {
      Issue.record("no mean and spread")
    }
    // A loss is best low.
    let byLoss = try SweepTable.rows(plan, in: folder, by: "val_loss")
    guard case .record(let lowest) = byLoss.first else { return #expect(Bool(false)) }
    #expect(number(lowest["lr"]) == 0.01)
    #expect(throws: AtelierError.self) { try SweepTable.rows(plan, in: folder, by: "accuracy") }
  }

  @Test func aChangedNotebookOrGridIsRefused() throws {
    let folder = SweepFolder(scratch())
    defer { try? FileManager.default.removeItem(atPath: folder.path) }
    let plan = SweepPlan(
      notebook: "/nb.atl", notebookHash: "one", grid: [("lr", [.number(0.1)])], folds: 1, version: "t")
    try folder.prepare(plan, allowChanged: false)
    let edited = SweepPlan(
      notebook: "/nb.atl", notebookHash: "two", grid: [("lr", [.number(0.1)])], folds: 1, version: "t")
    #expect(throws: AtelierError.self) { try folder.prepare(edited, allowChanged: false) }
    try folder.prepare(edited, allowChanged: true)
    let other = SweepPlan(
      notebook: "/nb.atl", notebookHash: "two", grid: [("lr", [.number(0.5)])], folds: 1, version: "t")
    #expect(throws: AtelierError.self) { try folder.prepare(other, allowChanged: true) }
  }

  @Test func resultsKeepTheirOrderAndRefuseOtherValues() throws {
    let path = scratch() + ".json"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try SweepResult.write(
      Record([("val_loss", .number(0.25)), ("note", .string("ok")), ("best", .bool(true))]), to: path)
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.contains(#""order":["val_loss","note","best"]"#))
    #expect(throws: AtelierError.self) { try SweepResult.write(Record([("h", .list([]))]), to: path) }
  }

  @Test func aTablePlotsAsAHeatmapOfItsFirstResultOverTwoSettings() throws {
    let rows = [(0.1, 8.0, 0.5), (0.1, 32.0, 0.7), (0.01, 8.0, 0.2), (0.01, 32.0, 0.4), (0.01, 32.0, 0.6)].map {
      Record([("lr", .number($0.0)), ("width", .number($0.1)), ("val_loss", .number(1)), ("val_acc", .number($0.2))])
    }
    let (chart, title) = try Charts.tableChart(rows)
    #expect(title == "val_acc by lr and width")
    guard case .heatmap(let values, let rowNames, let columns, _, let x, let y) = chart else {
      return #expect(Bool(false), "not a heatmap")
    }
    #expect(rowNames == ["0.01", "0.1"] && columns == ["8", "32"] && x == "width" && y == "lr")
    // Repeated settings are averaged.
    #expect(values == [[0.2, 0.5], [0.5, 0.7]])
    #expect(throws: AtelierError.self) { try Charts.tableChart([Record([("name", .string("x"))])]) }
  }

  @Test func resultsAndSettingsKeepTheirTypes() throws {
    let folder = SweepFolder(scratch())
    defer { try? FileManager.default.removeItem(atPath: folder.path) }
    let plan = SweepPlan(
      notebook: "/nb.atl", notebookHash: "h", grid: [("tag", [.string("001")])], folds: 1, version: "t")
    try folder.prepare(plan, allowChanged: false)
    try SweepResult.write(
      Record([("val_acc", .number(1)), ("ok", .bool(true)), ("zero", .number(0))]), to: folder.resultFile(0))
    let read = try #require(folder.result(0))
    #expect(read.map(\.0) == ["val_acc", "ok", "zero"])
    #expect(number(read[0].1) == 1 && number(read[2].1) == 0)
    if case .bool(true) = read[1].1 {} else { Issue.record("true came back as \(read[1].1)") }
    // A string that reads as a number goes to --set in quotes and comes back a string.
    #expect(SweepValue.string("001").setText == "\"001\"" && SweepValue.string("relu").setText == "relu")
    if case .string("001") = settingValue("\"001\"") {} else { Issue.record("quoted 001 is not a string") }
    #expect(number(settingValue("nan")) == nil)
  }

  @Test func aDamagedManifestIsRefusedNotTrusted() throws {
    let folder = SweepFolder(scratch())
    defer { try? FileManager.default.removeItem(atPath: folder.path) }
    let plan = SweepPlan(notebook: "/nb.atl", notebookHash: "h", grid: [("lr", [.number(0.1)])], folds: 2, version: "t")
    try folder.prepare(plan, allowChanged: false)
    let text = try String(contentsOfFile: folder.manifest, encoding: .utf8)
    try text.replacingOccurrences(of: "\"folds\" : 2", with: "\"folds\" : -1").write(
      toFile: folder.manifest, atomically: true, encoding: .utf8)
    #expect(throws: AtelierError.self) { try folder.readPlan() }
  }

  @Test func aNotebooksHashCoversTheFilesItUses() throws {
    let folder = scratch()
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try "def helper() { return 1 }\n".write(toFile: folder + "/helper.atl", atomically: true, encoding: .utf8)
    let text = "use \"helper.atl\"\nresult({val_acc: helper()})\n"
    let before = Sweep.usedTexts(of: text, besides: folder + "/run.atl")
    #expect(before.contains("def helper()"))
    try "def helper() { return 2 }\n".write(toFile: folder + "/helper.atl", atomically: true, encoding: .utf8)
    #expect(Sweep.usedTexts(of: text, besides: folder + "/run.atl") != before)
  }
}
