import Foundation
import Testing

@testable import Lang

@Suite(.serialized) struct ToolkitLanguageTests {
  func session() throws -> (Interpreter, () -> String) {
    var output = ""
    let interpreter = try sessionInterpreter { output += $0 }
    _ = run("data = fashion_mnist(\"\(fixtures)\")", in: interpreter)
    return (interpreter, { output })
  }

  @Test func aVAEWrittenAsACustomLoopLearns() throws {
    let (interpreter, _) = try session()
    let program = """
      encoder = model {
        conv 16, 3, stride: 2, pad: 1; relu
        conv 32, 3, stride: 2, pad: 1; relu
        flatten
        dense 64; relu
      }
      decoder = model {
        dense 1568; relu
        reshape [32, 7, 7]
        deconv 16, 3, stride: 2, pad: 1, output_pad: 1; relu
        deconv 1, 3, stride: 2, pad: 1, output_pad: 1; sigmoid
      }
      net = vae(encoder, decoder, latent: 8, input: [1, 28, 28])
      opt = adam(lr: 2e-3)
      train_mode(net)
      losses = []
      for epoch in 3 {
        for b in batches(data.train, 50, seed: epoch) {
          out = net(b.images)
          loss = bce(out.recon, b.images, reduction: "sum") / 50 + kl(out.mu, out.logvar)
          losses = append(losses, step(opt, loss))
        }
      }
      eval_mode(net)
      fell = 1 - mean(losses[-5:]) / mean(losses[0:5])
      z = encode(net, data.test.images[0:2]).mu
      mid = decode(net, (z[0:1] + z[1:2]) / 2)
      """
    let result = run(program, in: interpreter)
    #expect(result.error == nil, "\(result.error?.description ?? "")")
    guard case .number(let fell) = interpreter.variable("fell") else { Issue.record("no fell"); return }
    #expect(fell >= 0.3, "the loss fell by \(fell)")
    guard case .tensor(let mid) = interpreter.variable("mid") else { Issue.record("no interpolation"); return }
    #expect(mid.shape == [1, 1, 28, 28])
  }

  @Test func aHugeLearningRateStopsWithTheNaNMessage() throws {
    let (interpreter, _) = try session()
    let result = run("net = lenet5()\nh = fit(net, data.train, epochs: 2, opt: sgd(lr: 1e3))", in: interpreter)
    let error = try #require(result.error)
    #expect(error.message.contains("at epoch 1, batch"))
    #expect(error.message.contains("training stopped"))
    #expect(result.output.isEmpty, "no epoch of garbage is reported")
    #expect(error.hint?.contains("lower the learning rate (now 1000.0)") == true)
    #expect(error.location?.line == 2)
  }

  @Test func fitOptionsCheckpointsAndReload() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-\(UUID().uuidString)").path
    let (interpreter, _) = try session()
    let program = """
      train, val = split(data.train, 0.2, seed: 3)
      net = model(input: [1, 28, 28]) {
        conv 8, 3, pad: "same", l2: 1e-4; batchnorm; relu; maxpool 2
        dropout 0.2
        flatten
        dense 10
      }
      h = fit(net, train, epochs: 3, batch: 64, opt: adamw(lr: 3e-3), val: val, schedule: "cosine", warmup: 1, clip: 5, smoothing: 0.1, checkpoint: "\(folder)/run.atlm")
      again = load("\(folder)/run-best.atlm")
      c = checkpoint("\(folder)/run.atlm")
      p = predict(net, val)
      print len(p.labels), c.epoch, c.history.epochs, type(again)
      export(net, "\(folder)/w.safetensors")
      other = model(input: [1, 28, 28]) { conv 8, 3, pad: "same"; batchnorm; relu; maxpool 2; dropout 0.2; flatten; dense 10 }
      import_weights(other, "\(folder)/w.safetensors")
      print evaluate(other, val).acc == evaluate(net, val).acc
      """
    let result = run(program, in: interpreter)
    #expect(result.error == nil, "\(result.error?.description ?? "")")
    #expect(result.output.hasSuffix("200 3 3 model\ntrue\n"))
    #expect(FileManager.default.fileExists(atPath: "\(folder)/run-epoch2.atlm"))
  }

  @Test func importReportsMismatchedWeights() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-\(UUID().uuidString)").path
    let (interpreter, _) = try session()
    let result = run(
      "a = lenet5()\nexport(a, \"\(folder)/l.safetensors\")\nb = mlp([32])\nimport_weights(b, \"\(folder)/l.safetensors\")",
      in: interpreter)
    let error = try #require(result.error)
    #expect(error.message.contains("does not match the model — 2 missing: dense2.weight [10, 32]; dense2.bias [10]"))
    #expect(error.message.contains("misshapen: dense1.weight is [120, 400] in the file but [32, 784] in the model"))
    #expect(error.message.contains("unexpected: conv1.bias; conv1.weight; conv2.bias"))
    #expect(error.message.contains("; and 2 more"))
    #expect(error.location?.line == 4)
  }
}

@Suite struct AnalysisLanguageTests {
  @Test func analysisValuesPlotAndSaveAsCSV() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-\(UUID().uuidString)").path
    var output = ""
    let interpreter = try sessionInterpreter { output += $0 }
    interpreter.outputDirectory = folder
    let program = """
      data = fashion_mnist("\(fixtures)")
      net = mlp([32])
      h = fit(net, data.train, epochs: 2, val: data.test)
      f = features(net, data.test, at: "dense1", n: 300)
      p = pca(f, 2)
      c = confusion(net, data.test)
      print len(p.explained_variance_ratio), c.classes[6]
      plot(p)
      plot(h, to: "\(folder)/history.png", title: "curves", size: [800, 400])
      plot([h, h], labels: ["a", "b"])
      plot(c)
      plot(data.test[0:9])
      save(p, "\(folder)/pca.csv")
      save(c, "\(folder)/confusion.csv")
      save(h, "\(folder)/history.csv")
      r = report(net, data.test)
      print r[-1]["class"], len(r)
      """
    let result = run(program, in: interpreter)
    #expect(result.error == nil, "\(result.error?.description ?? "")")
    #expect(
      result.output.hasPrefix("epoch 1/2") && result.output.contains("2 Shirt\n")
        && result.output.hasSuffix("weighted avg 13\n"))
    let files = interpreter.takeProducedFiles()
    #expect(files.count == 5)
    for file in files { #expect(FileManager.default.fileExists(atPath: file), "\(file)") }
    let csv = try String(contentsOfFile: "\(folder)/pca.csv", encoding: .utf8).split(separator: "\n")
    #expect(csv.first == "x1,x2,label,class" && csv.count == 301)
    #expect(
      try String(contentsOfFile: "\(folder)/history.csv", encoding: .utf8).hasPrefix(
        "epoch,loss,acc,val_loss,val_acc,lr,seconds\n1,"))
  }

  @Test func plotErrorsAreClear() throws {
    let interpreter = try sessionInterpreter { _ in }
    let error = try #require(run("plot({a: 1})", in: interpreter).error)
    #expect(error.message == "plot cannot draw a record")
    let wide = try #require(
      run("e = pca(tensor([[1, 2, 3], [2, 3, 1], [0, 1, 1], [4, 2, 2]]), 3)\nplot(e)", in: interpreter).error)
    #expect(wide.message == "plot: this embedding has 3 dimensions and plot draws 2")
    #expect(wide.hint == "reduce it to 2: pca(x, 2), tsne(x) or umap(x); save(e, \"points.csv\") keeps every dimension")
  }
}

@Suite struct InitializationInTheLanguageTests {
  /// Models are built inside a top-level statement, while the session's tape records:
  /// their parameters must still be leaves that receive gradients.
  @Test func glorotModelsMadeAtThePromptTrain() throws {
    let interpreter = try sessionInterpreter { _ in }
    let result = run(
      """
      data = fashion_mnist("\(fixtures)")
      net = model(input: [1, 28, 28]) { conv 4, 3, init: "glorot"; relu; flatten; dense 10, init: "glorot" }
      before = evaluate(net, data.test).acc
      h = fit(net, data.train, epochs: 2, batch: 50)
      after = evaluate(net, data.test).acc
      """, in: interpreter)
    #expect(result.error == nil, "\(result.error?.description ?? "")")
    guard case .layer(let layer) = interpreter.variable("net"), case .number(let after) = interpreter.variable("after")
    else {
      Issue.record("no model")
      return
    }
    #expect(layer.parameters.allSatisfy { $0.tensor.isLeaf && $0.tensor.requiresGrad })
    #expect(after > 0.6)
  }
}
