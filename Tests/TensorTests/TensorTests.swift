import Testing

@testable import Tensor

@Suite struct TensorBasicsTests {
  @Test func creationAndReshapeShareStorage() throws {
    let t = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
    let r = try t.reshaped([3, -1])
    #expect(r.shape == [3, 2])
    r[flat: 0] = 9
    #expect(t[flat: 0] == 9)
    #expect(throws: TensorError.self) { try t.reshaped([4, -1]) }
    #expect(throws: TensorError.self) { try Tensor([1, 2, 3], shape: [2, 2]) }
  }

  @Test func seededRandomnessRepeats() {
    let a = Tensor.normal([1000], rng: RandomSource(seed: 3)), b = Tensor.normal([1000], rng: RandomSource(seed: 3))
    #expect(a.toArray() == b.toArray())
    let values = a.toArray().map(Double.init)
    let mean = values.reduce(0, +) / 1000
    let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 1000
    #expect(abs(mean) < 0.1 && abs(variance - 1) < 0.15)
    let u = Tensor.uniform([1000], low: -2, high: 3, rng: RandomSource(seed: 4)).toArray()
    #expect(u.allSatisfy { $0 >= -2 && $0 < 3 })
    #expect(Set(RandomSource(seed: 5).permutation(100)) == Set(0..<100))
  }

  @Test func nothingIsRecordedWithoutATape() throws {
    let x = Tensor.full([2, 2], 1)
    x.requiresGrad = true
    let y = relu(x)
    #expect(y.isLeaf)
    let tape = Tape()
    let z = tape.recording { relu(x) }
    #expect(!z.isLeaf && tape.count == 1)
  }

  @Test func shapeErrorsNameBothShapes() throws {
    let x = Tensor(zeros: [2, 5]), w = Tensor(zeros: [3, 4])
    #expect(throws: TensorError.self) { try linear(x, weight: w, bias: nil) }
    do {
      _ = try linear(x, weight: w, bias: nil)
    } catch let error as TensorError {
      #expect(error.message.contains("[2, 5]"))
    }
  }
}
