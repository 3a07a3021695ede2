import Foundation
import Testing

@testable import Data
@testable import NN
@testable import Tensor

/// A `.atlm` or safetensors file someone sent cannot make Atelier build absurd layers
/// or read past its buffers.
@Suite struct ModelFileBoundsTests {
  @Test func layerSettingsOutsideTheirBoundsAreRefused() throws {
    for (key, value) in [
      ("pad", 4.6e18 as Any), ("kernel", -3 as Any), ("filters", 1e300 as Any), ("stride", 2.5 as Any),
    ] {
      var spec: [String: Any] = ["kind": "conv", "filters": 6, "kernel": 5]
      spec[key] = value
      #expect(throws: LayerError.self, "\(key) = \(value)") { try LayerCodec.decode(spec) }
    }
    var nested: [String: Any] = ["kind": "flatten"]
    for _ in 0..<100 { nested = ["kind": "residual", "layers": [nested]] }
    #expect(throws: LayerError.self) { try LayerCodec.decode(nested) }
    #expect(throws: LayerError.self) { try LayerCodec.decode(["kind": "dropout", "p": Double.nan]) }
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
