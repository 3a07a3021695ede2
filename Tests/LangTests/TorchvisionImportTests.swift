import Foundation
import NN
import Tensor
import Testing

@testable import Lang

/// The ImageNet ResNet of the standard library against torchvision (fixtures written by
/// bench/torchvision_resnet.py): the same parameter names and shapes as torchvision's
/// resnet18, and a narrow ResNet made of torchvision's BasicBlock computing the same
/// features and logits from torchvision's own state_dict.
@Suite struct TorchvisionImportTests {
  @Test func resnet18ImageNetLayoutHasTorchvisionsNamesAndShapes() throws {
    let interpreter = try sessionInterpreter { _ in }
    let result = run("net = resnet18(small: false)", in: interpreter)
    #expect(result.error == nil, "\(result.error?.description ?? "")")
    guard case .layer(let net) = try #require(interpreter.variable("net")) else { Issue.record("no model"); return }
    let json = try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/resnet18_torchvision_names.json"))
    let torchvision = try #require(try JSONSerialization.jsonObject(with: json) as? [String: [Int]])
      .filter { !$0.key.hasSuffix("num_batches_tracked") }
    let ours = Dictionary(uniqueKeysWithValues: Checkpoint.namedState(of: net).map { ($0.0, $0.1.shape) })
    #expect(Set(ours.keys) == Set(torchvision.keys), "\(Set(ours.keys).symmetricDifference(torchvision.keys).sorted())")
    for (name, shape) in torchvision { #expect(ours[name] == shape, "\(name)") }
  }

  @Test func torchvisionWeightsGiveTorchvisionsFeaturesAndLogits() throws {
    let interpreter = try sessionInterpreter { _ in }
    let program = """
      net = resnet_imagenet(blocks: [2, 2, 1, 1], widths: [4, 8, 8, 16], classes: 10, size: 64)
      import_weights(net, "\(fixtures)/resnet_narrow_torchvision.safetensors")
      """
    let result = run(program, in: interpreter)
    #expect(result.error == nil, "\(result.error?.description ?? "")")
    guard case .layer(let layer) = try #require(interpreter.variable("net")), let net = layer as? Sequential else {
      Issue.record("no model")
      return
    }
    let expected = try SafeTensors.read("\(fixtures)/resnet_narrow_outputs.safetensors").tensors
    let x = try #require(expected["x"])
    let features = try net.activations(x, at: "avgpool")
    let logits = try net.forward(x, training: false)
    for (ours, name) in [(features, "features"), (logits, "logits")] {
      let theirs = try #require(expected[name])
      #expect(ours.shape == theirs.shape)
      let scale = max(1e-6, (0..<theirs.count).map { abs(theirs.data[$0]) }.max() ?? 0)
      let worst = (0..<theirs.count).map { abs(ours.data[$0] - theirs.data[$0]) }.max() ?? .infinity
      #expect(worst <= 1e-4 * scale, "\(name): largest difference \(worst) against values up to \(scale)")
    }
  }

  @Test func aNewHeadIsSkippedAndEveryMismatchIsNamed() throws {
    let interpreter = try sessionInterpreter { _ in }
    let path = "\(fixtures)/resnet_narrow_torchvision.safetensors"
    let headless = run(
      """
      net = resnet_imagenet(blocks: [2, 2, 1, 1], widths: [4, 8, 8, 16], classes: 3, size: 64)
      import_weights(net, "\(path)", skip: ["fc"])
      """, in: interpreter)
    #expect(headless.error == nil, "\(headless.error?.description ?? "")")
    let strict = run("import_weights(net, \"\(path)\")", in: interpreter)
    let message = try #require(strict.error).description
    #expect(message.contains("fc.weight is [10, 16] in the file but [3, 16] in the model"), "\(message)")
  }
}
