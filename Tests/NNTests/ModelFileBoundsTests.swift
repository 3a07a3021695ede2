import Foundation
import Testing

@testable import Data
@testable import NN
@testable import Tensor

/// A `.atlm` or safetensors file someone sent cannot make Atelier build absurd layers
/// or read past its buffers.
@Suite struct ModelFileBoundsTests {
  func decode(_ object: Any) throws -> Layer {
    try LayerCodec.decode(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
  }

  @Test func layerSettingsOutsideTheirBoundsAreRefused() throws {
    for (key, value) in [
      ("pad", 4.6e18 as Any), ("kernel", -3 as Any), ("filters", 1e300 as Any), ("stride", 2.5 as Any),
      ("pad", "sideways" as Any), ("bias", "yes" as Any), ("init", "zeros" as Any), ("l2", -1 as Any),
      ("padding", 1 as Any),
    ] {
      var spec: [String: Any] = ["kind": "conv", "filters": 6, "kernel": 5]
      spec[key] = value
      #expect(throws: LayerError.self, "\(key) = \(value)") { try decode(spec) }
    }
    var nested: [String: Any] = ["kind": "flatten"]
    for _ in 0..<100 { nested = ["kind": "residual", "layers": [nested]] }
    #expect(throws: LayerError.self) { try decode(nested) }
    for p in ["1e999", "\"NaN\"", "-0.5", "[0.5]"] {
      #expect(throws: LayerError.self, "p = \(p)") { try LayerCodec.decode(#"{"kind": "dropout", "p": \#(p)}"#) }
    }
    #expect(throws: LayerError.self) { try decode(["kind": "resize", "size": [28, 28, 28]]) }
    #expect(throws: LayerError.self) { try decode(["kind": "model", "layers": []]) }
    #expect(throws: LayerError.self) { try decode(["kind": "vae", "encoder": ["kind": "relu"], "latent": 2]) }
  }

  /// Every kind is saved with the settings that make it again, and read back the same.
  @Test func everyLayerKindRoundTripsThroughAModelFile() throws {
    let conv = try Conv2d(filters: 6, kernel: 4, stride: 1, padding: 0, bias: false, same: true)
    conv.l2 = 0.01
    conv.initializer = .glorot
    let layers: [Layer] = [
      try GreyToRGB(mean: [0.5, 0.4, 0.3], std: [1, 2, 3]), try ZeroPad(top: 1, left: 2, bottom: 3, right: 4), conv,
      BatchNorm(momentum: 0.2, epsilon: 1e-3),
      Activation(.leakyrelu, alpha: 0.2), try MaxPool2d(kernel: 3, stride: 2, padding: 1),
      try Residual([try Conv2d(filters: 6, kernel: 3, padding: 1), Activation(.relu)], activation: Activation(.elu)),
      try AvgPool2d(kernel: 2), try Resize(height: 12, width: 10),
      try ConvTranspose2d(
        filters: 3, kernel: 3, stride: 2, padding: 1, outputPadding: 1),
      Flatten(), try Dropout(0.25), try Linear(units: 7, bias: false), Reshape([7, 1, 1]), GlobalAvgPool(),
      Activation(.gelu), Activation(.tanh), Activation(.sigmoid), Activation(.softmax), Activation(.identity),
      Activation(.elu, alpha: 0.5),
      try VAE(
        encoder: try Sequential([Linear(units: 4)]), decoder: try Sequential([Linear(units: 7), Activation(.sigmoid)]),
        latent: 2),
    ]
    let model = try Sequential(layers)
    try model.build(inputShape: [1, 9, 9], rng: RandomSource(seed: 1))
    let text = try LayerCodec.encode(model)
    let again = try LayerCodec.decode(text)
    #expect(try LayerCodec.encode(again) == text)
    #expect(again.allLayers.map(\.details) == model.allLayers.map(\.details))
    #expect(again.allLayers.map(\.name) == model.allLayers.map(\.name))
    #expect(text.contains(#""pad":"same""#) && text.contains(#""amount":[1,2,3,4]"#))
    #expect(Set(LayerKinds.all.map(\.kind)).subtracting(again.allLayers.map(\.kind)).isEmpty)
  }

  /// Files written before every kind had one declaration still load.
  @Test func earlierModelFilesStillLoad() throws {
    let old = #"""
      {"kind": "model", "name": "model", "explicit": false, "input": [1, 12, 12], "layers": [
        {"kind": "pad", "name": "pad1", "pad": [1, 1, 1, 1]},
        {"kind": "conv", "name": "conv1", "filters": 4, "kernel": 3, "stride": 1, "pad": 0, "bias": true,
         "same": true, "l1": 0, "l2": 0, "init": "pytorch"},
        {"kind": "relu", "name": "relu1", "alpha": 0.01},
        {"kind": "resize", "name": "resize1", "height": 8, "width": 8},
        {"kind": "flatten", "name": "flatten1"}, {"kind": "dense", "name": "fc", "explicit": true, "units": 3}]}
      """#
    let model = try #require(try LayerCodec.decode(old) as? Sequential)
    #expect(model.layers.map(\.kind) == ["pad", "conv", "relu", "resize", "flatten", "dense"])
    #expect((model.layers[1] as? Conv2d)?.samePadding == true)
    #expect(model.layers[5].name == "fc" && model.layers[5].hasExplicitName)
    #expect(model.parameterCount == 4 * 9 + 4 + 4 * 64 * 3 + 3)
  }

  /// A layer kind Atelier does not declare cannot be written without its settings.
  @Test func aLayerWithoutADeclarationIsNotSaved() {
    final class Custom: Layer {
      let kind = "custom"
      var name = "custom"
      var hasExplicitName = false
      var details: String { "" }
      func build(inputShape: [Int], rng: RandomSource) throws -> [Int] { inputShape }
      func forward(_ x: Tensor, training: Bool) throws -> Tensor { x }
    }
    #expect(throws: LayerError.self) { try LayerCodec.encode(Custom()) }
  }

  @Test func aModelTooLargeForMemoryIsRefusedBeforeItIsBuilt() throws {
    let saved = MemoryBudget.limit
    MemoryBudget.limit = 200 << 20
    defer { MemoryBudget.limit = saved }
    // Each layer's weights (64 MB) are allowed; the four together are not.
    let wide = try Sequential((0..<4).map { _ in try Linear(units: 4096) as Layer })
    let error = #expect(throws: MemoryLimitError.self) {
      try wide.build(inputShape: [4096], rng: RandomSource(seed: 1))
    }
    #expect(error?.userMessage.contains("parameters") == true)
  }

  /// A safetensors file whose one tensor claims 2^61 doubles: the byte count wraps in 64 bits.
  @Test func safetensorsElementCountsThatWrapAreRefused() throws {
    let header = #"{"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}}"#
    var bytes = [UInt8](repeating: 0, count: 8)
    let length = header.utf8.count
    for k in 0..<8 { bytes[k] = UInt8((length >> (8 * k)) & 0xFF) }
    bytes += Array(header.utf8) + [UInt8](repeating: 0, count: 16)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("wrap-\(UUID().uuidString).safetensors")
    try Data(bytes).write(to: path)
    #expect(throws: DataError.self) { try SafeTensors.read(path.path) }
  }
}
