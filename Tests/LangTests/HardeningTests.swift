import CKernel
import Foundation
import Tensor
import Testing

@testable import Lang

/// Inputs that used to crash the release build, corrupt memory, hang, or be ignored
/// silently: each must now be a clear language error, or work, and leave the session intact.
@Suite struct HardeningTests {
  /// A session with the library and a small slice of the fixtures.
  func session() throws -> Interpreter {
    let interpreter = try sessionInterpreter { _ in }
    _ = run("d = idx(\"\(fixtures)\")\nsmall = d.test[0:40]\nnet = lenet5()", in: interpreter)
    return interpreter
  }

  func expectError(_ source: String, _ words: String, in interpreter: Interpreter) {
    let result = run(source, in: interpreter)
    #expect(result.error?.message.contains(words) == true, "\(source): \(String(describing: result.error))")
    // The session keeps its variables after the error.
    if case .dataset = interpreter.variable("small") {} else { Issue.record("\(source) lost the session") }
  }

  @Test func countsAndSizesOutOfRangeAreErrors() throws {
    let s = try session()
    expectError("x = subset(small, -5)", "pick must be a whole number from 0", in: s)
    expectError("x = features(net, small, at: \"relu1\", n: -1)", "n must be a whole number from 1", in: s)
    expectError("x = correlation(net, small, at: \"relu1\", per_class: -1)", "per_class must be", in: s)
    expectError("x = confusion([3e9], [0])", "labels are class indices", in: s)
    expectError("x = report([1000000], [0])", "labels are class indices", in: s)
    expectError("x = confusion([1000], [0])", "whole numbers from 0 to 999, not 1000", in: s)
    expectError("x = tsne(randn([100, 5]), iters: 3e9)", "iters must be a whole number", in: s)
    expectError("x = \"{1:>999999999}\"", "too wide a field", in: s)
    expectError("x = idx(\"\(fixtures)\", classes: [])", "0 classes", in: s)
    expectError("x = zeros([100000, 100000])", "over the memory limit", in: s)
    expectError("h = fit(net, small, epochs: 1, crop: 3e9)", "crop must be a whole number", in: s)
    // Found by the language fuzzer: a member's own error escaped as a non-language error.
    expectError("x = tensor([1.5, 2]).T", ".T needs a 2-D tensor", in: s)
  }

  @Test func misspeltOptionsAreErrorsNotSilentNoOps() throws {
    let s = try session()
    expectError("h = fit(net, small, epochs: 1, patience: 2, monitor: \"val_los\")", "monitor must be one of", in: s)
    expectError("h = fit(net, small, epochs: 1, monitor: \"val_acc\")", "needs validation data", in: s)
    expectError("e = tsne(small, init: \"pcaa\")", "init must be one of \"pca\", \"random\"", in: s)
    #expect(run("e = tsne(small, init: \"pcaa\")", in: s).error?.hint == "did you mean \"pca\"?")
  }

  @Test func tsneSeedsItsRandomStart() throws {
    let s = try session()
    let source = """
      a = tsne(small, iters: 50, perplexity: 5, init: "random", seed: 1)
      b = tsne(small, iters: 50, perplexity: 5, init: "random", seed: 1)
      c = tsne(small, iters: 50, perplexity: 5, init: "random", seed: 2)
      print a.kl == b.kl, a.kl == c.kl
      """
    #expect(run(source, in: s).output.hasSuffix("true false\n"))
  }

  @Test func longChainsAndDeepNestingStopBeforeTheStack() throws {
    let s = try session()
    // Small enough to evaluate on a test thread: works.
    #expect(run("x = 1" + String(repeating: " + 1", count: 200) + "\nprint x", in: s).output == "201\n")
    // Longer than a chain may be: a clear error before any pass recurses over it.
    #expect(run("x = " + String(repeating: "-", count: 100_000) + "1", in: s).error != nil)
    for link in [" + 1", ".a", "[0]", " and true", " | str"] {
      let head = link == ".a" ? "{a: 1}" : link == "[0]" ? "[1]" : "1"
      let result = run("x = " + head + String(repeating: link, count: 5_000), in: s)
      #expect(result.error?.message.contains("nests too deeply") == true, "chain of \(link)")
    }
  }

  @Test func checkFindsUndefinedNamesWithoutRunning() throws {
    let s = try session()
    var written = ""
    s.write = { written += $0 }
    let file = SourceFile(name: "c.atl", text: "use \"models.atl\"\nnet2 = lenet5()\nprint undefined_name\n")
    let error = #expect(throws: AtelierError.self) { _ = try s.checkWithoutRunning(file) }
    #expect(error?.message.contains("'undefined_name' is not defined") == true)
    #expect(try s.checkWithoutRunning(SourceFile(name: "ok.atl", text: "x = 41\nprint x\n")) == 2)
    #expect(written.isEmpty && s.variable("x") == nil)
  }

  @Test func nonFiniteWeightsLoadWithAWarning() throws {
    let s = try session()
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("nan-\(UUID().uuidString).safetensors")
      .path
    let source = """
      n2 = lenet5()
      p = n2(randn([1, 1, 28, 28]))
      export(n2, "\(path)")
      """
    #expect(run(source, in: s).error == nil)
    // Poison one weight in the file: the first F32 of the data section.
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
    for (k, b) in [0x00, 0x00, 0xC0, 0x7F].enumerated() { bytes[8 + headerLength + k] = UInt8(b) }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let imported = run("import_weights(n2, \"\(path)\")", in: s)
    #expect(imported.error == nil)
    #expect(imported.output.contains("holds NaN or infinite values in conv1.weight"))
  }

  @Test func aFailedCheckpointWriteKeepsTrainingAndHistory() throws {
    let s = try session()
    let result = run(
      "h = fit(net, small, epochs: 2, batch: 20, checkpoint: \"/proc/atelier-none/run.atlm\")\nprint len(h.loss)", in: s
    )
    #expect(result.error == nil)
    #expect(result.output.contains("checkpoint not saved"))
    #expect(result.output.hasSuffix("2\n"))
  }

  @Test func aTensorWithoutColumnsSavesAsAnEmptyTable() throws {
    #expect(try CSV.text(for: .tensor(Tensor(zeros: [3, 0]))).split(separator: "\n").isEmpty)
    #expect(try CSV.text(for: .tensor(Tensor(zeros: [2, 2]))).split(separator: "\n").count == 2)
  }

  @Test func anInterruptedTsneSaysSoAndMarksItsResult() throws {
    let s = try session()
    // Ctrl-C pressed before the call: t-SNE stops at its first report, iteration 50.
    atl_interrupt_raise()
    let result = run("e = tsne(small, perplexity: 5, iters: 500)\nprint e.converged\nprint e", in: s)
    atl_interrupt_clear()
    #expect(result.error == nil)
    #expect(result.output.hasPrefix("tsne interrupted at iteration 50 of 500; result kept, not converged (KL "))
    #expect(result.output.contains("\nfalse\n") && result.output.contains("interrupted at iteration 50 of 500"))
    #expect(run("e = tsne(small, perplexity: 5, iters: 100)\nprint e.converged", in: s).output == "true\n")
  }

  @Test func umapPlacesNewPointsAndSaysWhatCannot() throws {
    let s = try session()
    let source = """
      u = umap(small, k: 5, epochs: 20)
      v = umap(small, k: 5, epochs: 20)
      t = transform(u, d.test[40:60])
      print t.count, t.labels == d.test[40:60].labels
      print sum(u.points) == sum(v.points)
      """
    let result = run(source, in: s)
    #expect(result.error == nil, "\(String(describing: result.error))")
    #expect(result.output.hasSuffix("20 true\ntrue\n"), "\(result.output)")
    expectError(
      "x = transform(pca(small, 2), small)", "cannot place new points; umap(...) and tsne(...) maps can", in: s)
    expectError("x = umap(small, epochs: 2.5)", "epochs must be \"auto\" or a whole number", in: s)
    expectError("x = umap(small, k: 40)", "needs more than 40 points", in: s)
    expectError("x = umap(small, metric: \"cosin\")", "metric must be one of", in: s)
    expectError("x = transform(umap(small, k: 5, epochs: 5), randn([3, 4]))", "fitted to points of 784", in: s)
  }

  @Test func anInterruptedUmapSaysSoAndMarksItsResult() throws {
    let s = try session()
    atl_interrupt_raise()
    let result = run("e = umap(small, k: 5, epochs: 100)\nprint e.converged\nprint e", in: s)
    atl_interrupt_clear()
    #expect(result.error == nil)
    #expect(result.output.hasPrefix("umap interrupted at epoch 10 of 100; result kept, not converged\n"))
    #expect(result.output.contains("\nfalse\n") && result.output.contains("interrupted at epoch 10 of 100"))
  }

  /// Ctrl-C pressed before the call stops pca while it sums the covariance; the session goes on.
  @Test func anInterruptedPcaIsAnErrorAndTheSessionGoesOn() throws {
    let s = try session()
    atl_interrupt_raise()
    let result = run("p = pca(randn([20000, 300], seed: 1), 2)", in: s)
    #expect(atl_interrupt_pending() == 0)
    #expect(result.error?.message.contains("pca interrupted") == true)
    #expect(
      run("p = pca(randn([200, 50], seed: 1), 2)\nprint p", in: s).output.hasPrefix("embedding of tensor, PCA: 200"))
  }

  /// The largest table confusion draws prints its corners, not a million cells.
  @Test func aConfusionOfManyClassesPrintsItsCorners() throws {
    let s = try session()
    let result = run("confusion([999, 3, 3], [0, 3, 998])", in: s)
    let lines = result.output.split(separator: "\n")
    #expect(lines.count == 18, "\(result.output)")
    #expect(lines.last == "(1000 classes; the first 10 and the last 3 shown)")
    #expect(lines.first { $0.hasPrefix("total") }?.hasSuffix("3  0.3333") == true)
  }
}
