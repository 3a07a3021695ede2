import Testing

@testable import Tensor

/// Max pooling outside a tape drops the winners' positions; the pooled values must not
/// change, on every kernel path (2x2, 4x4, rows of stride 1 and 2, padded windows).
@Suite struct MaxPoolInferenceTests {
  @Test(arguments: [(2, 2, 0), (4, 4, 0), (3, 1, 0), (3, 2, 0), (3, 2, 1)])
  func valuesMatchTheRecordedPass(kernel: Int, stride: Int, padding: Int) throws {
    let x = Tensor.uniform([3, 5, 17, 19], low: -1, high: 1, rng: RandomSource(seed: 3))
    x.requiresGrad = true
    let window = Window2D(kernel: (kernel, kernel), stride: (stride, stride), padding: (padding, padding))
    let recorded = try Tape().recording { try maxPool2d(x, window: window) }
    let inferred = try Tape.withoutRecording { try maxPool2d(x, window: window) }
    #expect(recorded.requiresGrad && !inferred.requiresGrad)
    #expect(recorded.shape == inferred.shape)
    #expect(recorded.toArray() == inferred.toArray())
  }
}
