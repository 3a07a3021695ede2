import Foundation
import Tensor
import Testing

@testable import Lang

/// `save(e, "x.atle")` and `load("x.atle")` at the prompt: a loaded map places new points
/// as the original does and plots as before; a bad file is a clear error and the session
/// goes on.
@Suite struct SavedEmbeddingTests {
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atle-\(UUID().uuidString)").path

  func session() throws -> Interpreter {
    let interpreter = try sessionInterpreter { _ in }
    _ = run("d = idx(\"\(fixtures)\")\nsmall = d.test[0:40]\nnet = lenet5()", in: interpreter)
    return interpreter
  }

  func points(_ name: String, in interpreter: Interpreter) -> [UInt32]? {
    guard case .embedding(let e)? = interpreter.variable(name) else { return nil }
    return e.points.toArray().map(\.bitPattern)
  }

  func expectError(_ source: String, _ words: String, in interpreter: Interpreter) {
    let result = run(source, in: interpreter)
    #expect(result.error?.message.contains(words) == true, "\(source): \(String(describing: result.error))")
    if case .dataset = interpreter.variable("small") {} else { Issue.record("\(source) lost the session") }
    if case .embedding = interpreter.variable("u") {} else { Issue.record("\(source) lost u") }
  }

  @Test func loadedMapsPlaceNewPointsAsTheOriginalsDo() throws {
    let s = try session()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let source = """
      u = umap(small, k: 5, epochs: 20)
      save(u, "\(folder)/u.atle")
      v = load("\(folder)/u.atle")
      a = transform(u, d.test[40:60])
      b = transform(v, d.test[40:60])
      t = tsne(small, perplexity: 5, iters: 60)
      save(t, "\(folder)/t.atle")
      c = transform(t, d.test[40:60])
      e = transform(load("\(folder)/t.atle"), d.test[40:60])
      save(pca(small, 2), "\(folder)/p.atle")
      print load("\(folder)/p.atle")
      print v
      print v.labels == u.labels, len(v.classes)
      plot(v, to: "\(folder)/v.png")
      """
    let result = run(source, in: s)
    #expect(result.error == nil, "\(String(describing: result.error))")
    #expect(points("a", in: s) != nil && points("a", in: s) == points("b", in: s))
    #expect(points("c", in: s) != nil && points("c", in: s) == points("e", in: s))
    #expect(points("u", in: s) == points("v", in: s))
    #expect(result.output.hasPrefix("embedding of test pixels, PCA: 40 points × 2, 10 classes\n"))
    #expect(result.output.contains("explained variance: "))
    #expect(result.output.contains("UMAP map (k 5, euclidean): transform(e, data) places new points"))
    #expect(result.output.contains("true 10\n"))
    #expect(FileManager.default.fileExists(atPath: "\(folder)/v.png"))
  }

  /// The replay cache keeps an embedding in the same bytes as a file.
  @Test func aCachedMapPlacesNewPointsAsTheOriginalDoes() throws {
    let s = try session()
    #expect(run("u = umap(small, k: 5, epochs: 20)\nt = tsne(small, perplexity: 5, iters: 60)", in: s).error == nil)
    let encoder = PropertyListEncoder()
    encoder.outputFormat = .binary
    for name in ["u", "t"] {
      let value = try #require(s.variable(name))
      let kept = try #require(try CachedValue(value))
      let restored = try PropertyListDecoder().decode(CachedValue.self, from: try encoder.encode(kept))
      s.define("r", try restored.value)
      let result = run("a = transform(\(name), d.test[40:60])\nb = transform(r, d.test[40:60])\nprint r", in: s)
      #expect(result.error == nil, "\(String(describing: result.error))")
      #expect(result.output.contains("transform(e, data) places new points"))
      #expect(points("a", in: s) != nil && points("a", in: s) == points("b", in: s), "\(name)")
    }
  }

  @Test func badEmbeddingFilesAreClearErrorsAndTheSessionGoesOn() throws {
    let s = try session()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    #expect(run("u = umap(small, k: 5, epochs: 5)\nsave(u, \"\(folder)/u.atle\")", in: s).error == nil)
    let good = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/u.atle"))
    try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: "\(folder)/half.atle"))
    expectError("x = load(\"\(folder)/half.atle\")", "\(folder)/half.atle: ", in: s)
    expectError("x = load(\"\(folder)/half.atle\")", "truncated", in: s)
    // The method's name inside the metadata, changed in place.
    var bytes = [UInt8](good)
    let name = Array(#"method\":\"umap"#.utf8)
    let at = try #require((0...(bytes.count - name.count)).first { Array(bytes[$0..<($0 + name.count)]) == name })
    bytes[at + name.count - 2] = UInt8(ascii: "o")
    try Data(bytes).write(to: URL(fileURLWithPath: "\(folder)/method.atle"))
    expectError(
      "x = load(\"\(folder)/method.atle\")",
      "\(folder)/method.atle: is not a usable embedding file: an unknown method \"umop\"", in: s)
    expectError("x = load(\"\(folder)/none.atle\")", "no such file", in: s)
    #expect(run("save(net, \"\(folder)/net.atlm\")", in: s).error == nil)
    try FileManager.default.copyItem(atPath: "\(folder)/net.atlm", toPath: "\(folder)/net.atle")
    expectError("x = load(\"\(folder)/net.atle\")", "is an Atelier model file, not an embedding", in: s)
    expectError("save(net, \"\(folder)/m.atle\")", "a .atle file holds an embedding", in: s)
    expectError("save(u, \"\(folder)/u.txt\")", "an embedding is saved to a .atle file", in: s)
    // After all that, the session's map still works.
    let placed = run("t = transform(u, d.test[40:50])\nprint t.count", in: s)
    #expect(placed.error == nil && placed.output == "10\n")
  }
}
