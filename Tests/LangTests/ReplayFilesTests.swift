import Foundation
import Testing

@testable import Lang

/// A replayed notebook keeps what it writes in one place: its output folder.
@Suite struct ReplayFilesTests {
  @Test func relativePathsLandUnderTheOutputFolderWithoutScripts() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: out) }
    let interpreter = try sessionInterpreter { _ in }
    interpreter.outputDirectory = out
    let notebook = """
      plot([1, 2, 3], to: "figures/curve.png")
      plot([3, 2, 1])
      save(tensor([[1, 2], [3, 4]]), "tables/t.csv")
      net = model(input: [1, 4, 4]) { flatten; dense 2 }
      save(net, "models/net.atlm")
      again = load("models/net.atlm")
      print again.params
      """
    var records: [StatementRecord] = []
    try NotebookRunner.replay(
      SourceFile(name: "/nowhere/notebook.atl", text: notebook), in: interpreter, records: &records)
    let written = try #require(FileManager.default.subpaths(atPath: out)).filter { $0.contains(".") }.sorted()
    #expect(written == ["01-values.png", "figures/curve.png", "models/net.atlm", "tables/t.csv"], "\(written)")
    #expect(records.last?.output == "34\n")
    // With keep_script the script and its data stay beside the figure.
    _ = run("plot([1, 2], to: \"kept.png\", keep_script: true)", in: interpreter)
    #expect(FileManager.default.fileExists(atPath: out + "/kept.gp"))
    #expect(FileManager.default.fileExists(atPath: out + "/kept-1.dat"))
  }
}
