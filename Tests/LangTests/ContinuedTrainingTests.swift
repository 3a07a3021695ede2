import Foundation
import Tensor
import Testing

@testable import Lang
@testable import NN

/// A second fit of the same model carries on: epochs numbered on, the optimizer's state kept.
@Suite struct ContinuedTrainingTests {
  @Test func aSecondFitNumbersEpochsOnAndKeepsTheOptimizer() throws {
    let s = try sessionInterpreter { _ in }
    let source = """
      d = idx("\(fixtures)")
      net = model { flatten; dense 16; relu; dense 10 }
      h1 = fit(net, d.train[0:256], epochs: 2, batch: 64, val: d.test[0:64])
      h2 = fit(net, d.train[0:256], epochs: 3, batch: 64)
      print h1.epochs, h2.epochs, (h1 + h2).epochs, history(net).epochs
      h2
      """
    let result = run(source, in: s)
    #expect(result.error == nil, "\(String(describing: result.error))")
    #expect(result.output.contains("\n2 3 5 5\n"), "\(result.output)")
    let table = result.output.components(separatedBy: "\n2 3 5 5\n").last ?? ""
    #expect(table.split(separator: "\n").dropFirst().map { $0.prefix(1) } == ["3", "4", "5"], "\(table)")
    #expect(result.output.contains("epoch 3/5"))
    // Adam's step count went on: 4 batches an epoch, 5 epochs, one optimizer.
    #expect(adamSteps(of: "net", in: s) == 20)
    // A given optimizer starts afresh, and numbering still goes on.
    let third = run("h3 = fit(net, d.train[0:256], epochs: 1, batch: 64, opt: sgd(lr: 0.01))", in: s)
    #expect(third.output.contains("epoch 6/6"))
    #expect(model("net", in: s)?.training.optimizer is SGD)
  }

  @Test func aSavedModelCarriesOnAfterLoad() throws {
    let s = try sessionInterpreter { _ in }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("carry-\(UUID().uuidString).atlm").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let source = """
      d = idx("\(fixtures)")
      net = model { flatten; dense 16; relu; dense 10 }
      h1 = fit(net, d.train[0:256], epochs: 2, batch: 64)
      save(net, "\(path)")
      again = load("\(path)")
      h2 = fit(again, d.train[0:256], epochs: 1, batch: 64)
      print history(again).epochs
      """
    let result = run(source, in: s)
    #expect(result.error == nil, "\(String(describing: result.error))")
    #expect(result.output.contains("epoch 3/3") && result.output.hasSuffix("3\n"), "\(result.output)")
    #expect(adamSteps(of: "again", in: s) == 12)
  }

  func model(_ name: String, in s: Interpreter) -> Sequential? {
    if case .layer(let layer) = s.variable(name) { return layer as? Sequential }
    return nil
  }

  /// The step count of the Adam a model last trained with, as its first weight records it.
  func adamSteps(of name: String, in s: Interpreter) -> Float? {
    guard let net = model(name, in: s), let adam = net.training.optimizer as? Adam,
      let weight = net.namedParameters.first?.tensor
    else { return nil }
    return adam.state(of: weight)["t"]?.scalarValue
  }

  @Test func joinedHistoriesPlotBothRunsAtTheirEpochs() throws {
    let h1 = History(), h2 = History()
    for e in 1...2 {
      h1.append(
        EpochRecord(
          epoch: e, trainLoss: 1, trainAccuracy: 0.5, validationLoss: 1.1, validationAccuracy: 0.4,
          learningRate: 0.1, seconds: 1, batches: 1))
    }
    h2.append(
      EpochRecord(
        epoch: 3, trainLoss: 0.5, trainAccuracy: 0.7, validationLoss: nil, validationAccuracy: nil,
        learningRate: 0.1, seconds: 1, batches: 1))
    guard case .curves(let panels) = Charts.historyChart([h1, h2], names: ["a", "b"]) else {
      Issue.record("not curves")
      return
    }
    #expect(panels[0].series.map(\.name) == ["a train", "a validation", "b train"])
    #expect(panels[0].series[2].values.count == 3 && panels[0].series[2].values[0].isNaN)
    #expect(panels[0].series[2].values[2] == 0.5)
    // Joining renumbers a run that starts again at 1.
    #expect(h1.joined(h1).epochs.map(\.epoch) == [1, 2, 3, 4])
  }
}
