import Foundation
import Testing

@testable import Lang

/// Every study notebook replays in quick mode on the real Fashion-MNIST and writes its figures.
@Suite(.serialized) struct NotebookTests {
  static let notebooks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("notebooks").path

  static let expectedFigures = [
    "quickstart": 0, "lenet_vs_mynet": 18, "wide_lenet_and_vae": 9, "alexnet_grid_resnet": 4, "mlp_vs_cnn": 7,
    "mlp_cnn_sweeps": 3, "results": 0,
  ]

  @Test(arguments: expectedFigures.keys.sorted()) func replaysInQuickMode(_ name: String) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-nb-\(UUID().uuidString)").path
    var output = ""
    let interpreter = try sessionInterpreter { output += $0 }
    interpreter.outputDirectory = folder
    interpreter.settings["quick"] = .bool(true)
    let path = "\(NotebookTests.notebooks)/\(name).atl"
    var records: [StatementRecord] = []
    let start = Date()
    do {
      try NotebookRunner.replay(
        SourceFile(name: path, text: try String(contentsOfFile: path, encoding: .utf8)), in: interpreter,
        records: &records)
    } catch {
      Issue.record("\(name) failed: \(error)")
    }
    let seconds = Date().timeIntervalSince(start)
    #expect(seconds < 180, "\(name) took \(seconds) s in quick mode")
    let figures = records.flatMap(\.files)
    #expect(figures.count >= NotebookTests.expectedFigures[name] ?? 0, "\(name) wrote \(figures.count) figures")
    for figure in figures {
      let bytes = FileManager.default.contents(atPath: figure)?.prefix(4)
      #expect(bytes == Data([0x89, 0x50, 0x4E, 0x47]), "\(figure) is not a PNG")
    }
  }
}
