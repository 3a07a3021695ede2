import Foundation
import Testing

@testable import NN
@testable import Tensor

/// Optimizer state belongs to one parameter tensor, never to an address that a
/// freed tensor leaves behind, and state read back from a file must fit its parameter.
@Suite struct OptimizerStateTests {
  /// A parameter of `count` ones whose gradient is all ones.
  func parameter(_ count: Int) -> Tensor {
    let p = Tensor.full([count], 1)
    p.requiresGrad = true
    p.grad = Tensor.full([count], 1)
    return p
  }

  @Test func aTensorAtAFreedParametersAddressStartsWithFreshState() throws {
    let optimizers: [Optimizer] = [
      Adam(learningRate: 0.1), SGD(learningRate: 0.1, momentum: 0.9), RMSprop(learningRate: 0.1),
    ]
    for optimizer in optimizers {
      // One first step from fresh state, as the expected update.
      let reference = parameter(64)
      optimizer.step([reference])
      let expected = reference.toArray()[0]
      var reused = 0
      for _ in 0..<200 {
        var old: Tensor? = parameter(4)
        for _ in 0..<5 { optimizer.step([old!]) }
        let oldAddress = ObjectIdentifier(old!)
        old = nil
        let new = parameter(64)
        if ObjectIdentifier(new) == oldAddress { reused += 1 }
        optimizer.step([new])
        #expect(new.toArray().allSatisfy { $0 == expected }, "\(optimizer.summary) reused stale state")
      }
      // The allocator hands the freed object's address to the next one: the case this guards.
      #expect(reused > 0)
    }
  }

  @Test func restoredStateOfAnotherShapeIsRefused() throws {
    let p = parameter(10)
    let adam = Adam()
    #expect(throws: TrainingError.self) {
      try adam.restore(["m": Tensor(zeros: [3]), "v": Tensor(zeros: [10]), "t": Tensor.scalar(1)], of: p)
    }
    #expect(throws: TrainingError.self) {
      try adam.restore(["m": Tensor(zeros: [10]), "v": Tensor(zeros: [10]), "t": Tensor.scalar(-4)], of: p)
    }
    #expect(throws: TrainingError.self) {
      try SGD(learningRate: 0.1, momentum: 0.9).restore(["velocity": Tensor(zeros: [1, 10])], of: p)
    }
    #expect(throws: TrainingError.self) {
      try RMSprop().restore(["square_avg": Tensor.full([10], .nan)], of: p)
    }
    try adam.restore(["m": Tensor(zeros: [10]), "v": Tensor(zeros: [10]), "t": Tensor.scalar(3)], of: p)
    #expect(adam.state(of: p)["t"]?.scalarValue == 3)
  }
}
