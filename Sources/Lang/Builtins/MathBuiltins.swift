import Foundation
import Tensor

/// A builtin over one number.
private func unaryMath(_ name: String, _ summary: String, _ f: @escaping (Double) -> Double) -> Builtin {
  Builtin(name, family: "math", parameters: [Parameter("x")], summary: summary) { args, _ in
    .number(f(try args.number("x")))
  }
}

/// The numbers of a list, or of a tensor's elements.
func numbers(_ value: Value, _ builtin: String) throws -> [Double] {
  switch value {
  case .list(let items):
    return try items.map { item in
      guard case .number(let n) = item else {
        throw AtelierError("\(builtin): every item must be a number, not \(item.typeName)")
      }
      return n
    }
  case .tensor(let t): return t.toArray().map(Double.init)
  default: throw AtelierError("\(builtin): expected a list of numbers or a tensor, not \(value.typeName)")
  }
}

/// min and max take a list or several numbers.
private func extremum(_ name: String, _ pick: @escaping ([Double]) -> Double?) -> Builtin {
  Builtin(
    name, family: "math", variadic: true,
    summary: "The \(name == "min" ? "smallest" : "largest") of a list or of its arguments."
  ) { args, _ in
    guard case .list(let rest) = args["*"] else { return .none }
    let values = rest.count == 1 ? try numbers(rest[0], name) : try numbers(.list(rest), name)
    guard let result = pick(values) else { throw AtelierError("\(name) of nothing") }
    return .number(result)
  }
}

let mathBuiltins: [Builtin] = [
  unaryMath("abs", "Absolute value.", { abs($0) }),
  unaryMath("sqrt", "Square root.", { $0.squareRoot() }),
  unaryMath("exp", "e to the power x.", { Foundation.exp($0) }),
  unaryMath("log", "Natural logarithm.", { Foundation.log($0) }),
  unaryMath("floor", "Largest whole number not above x.", { $0.rounded(.down) }),
  unaryMath("ceil", "Smallest whole number not below x.", { $0.rounded(.up) }),
  Builtin(
    "round", family: "math", parameters: [Parameter("x"), Parameter("digits", default: .number(0), whole: -15...15)],
    summary: "Rounds to a number of decimal digits."
  ) { args, _ in
    let scale = pow(10, Double(try args.int("digits")))
    return .number((try args.number("x") * scale).rounded() / scale)
  },
  extremum("min", { $0.min() }),
  extremum("max", { $0.max() }),
  Builtin("sum", family: "math", parameters: [Parameter("values")], summary: "Sum of a list of numbers or a tensor.") {
    args, _ in
    .number(try numbers(args["values"], "sum").reduce(0, +))
  },
  Builtin("mean", family: "math", parameters: [Parameter("values")], summary: "Mean of a list of numbers or a tensor.")
  { args, _ in
    let values = try numbers(args["values"], "mean")
    guard !values.isEmpty else { throw AtelierError("mean of an empty list") }
    return .number(values.reduce(0, +) / Double(values.count))
  },
  Builtin("std", family: "math", parameters: [Parameter("values")], summary: "Population standard deviation.") {
    args, _ in
    let values = try numbers(args["values"], "std")
    guard !values.isEmpty else { throw AtelierError("std of an empty list") }
    let mean = values.reduce(0, +) / Double(values.count)
    return .number((values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot())
  },
  Builtin(
    "tensor", family: "math", parameters: [Parameter("values", "a number or a (nested) list of numbers")],
    summary: "A tensor from nested lists: tensor([[1, 2], [3, 4]])."
  ) { args, _ in
    .tensor(try tensorFromNested(args["values"]))
  },
  Builtin(
    "cat", family: "math",
    parameters: [Parameter("tensors", type: .list, "tensors with the same shape after the first dimension")],
    summary: "Tensors joined along the first dimension: cat([originals, reconstructions])."
  ) { args, _ in
    let parts = try args.list("tensors").map { try requireTensor($0, "cat", "tensors") }
    return .tensor(try Tensor.concatenate(parts))
  },
  Builtin("zeros", family: "math", parameters: [Parameter("shape")], summary: "A tensor of zeros: zeros([2, 3]).") {
    args, _ in
    .tensor(Tensor(zeros: try shapeArgument(args["shape"], "zeros")))
  },
  Builtin(
    "randn", family: "math", parameters: [Parameter("shape"), Parameter("seed", default: .number(0))],
    summary: "A tensor of standard normal samples, seeded."
  ) { args, _ in
    .tensor(
      Tensor.normal(
        try shapeArgument(args["shape"], "randn"),
        rng: RandomSource(seed: UInt64(bitPattern: Int64(try args.int("seed", in: Arguments.seeds))))))
  },
]

/// A shape argument: a list of positive whole numbers, within a sane size.
func shapeArgument(_ value: Value, _ builtin: String) throws -> [Int] {
  let dims = try numbers(value, builtin)
  guard !dims.isEmpty, dims.allSatisfy({ $0 >= 1 && $0.rounded() == $0 && $0 < 1e9 }) else {
    throw AtelierError("\(builtin): a shape is a list of positive whole numbers such as [2, 3]")
  }
  let shape = dims.map { Int($0) }
  try checkAllocation(shape, builtin)
  return shape
}

private func tensorFromNested(_ value: Value) throws -> Tensor {
  var shape: [Int] = []
  var flat: [Float] = []
  func walk(_ v: Value, depth: Int) throws {
    switch v {
    case .number(let n):
      guard depth == shape.count else { throw AtelierError("tensor: the nested lists are ragged") }
      flat.append(Float(n))
    case .list(let items):
      if depth == shape.count {
        guard flat.isEmpty else { throw AtelierError("tensor: the nested lists are ragged") }
        shape.append(items.count)
      } else if depth > shape.count || shape[depth] != items.count {
        throw AtelierError("tensor: the nested lists are ragged")
      }
      guard !items.isEmpty else { throw AtelierError("tensor: empty lists have no shape") }
      for item in items { try walk(item, depth: depth + 1) }
    case .tensor(let t):
      guard depth == 0 else { throw AtelierError("tensor: lists of tensors are not supported") }
      shape = t.shape
      flat = t.toArray()
    default:
      throw AtelierError("tensor: expected numbers, not \(v.typeName)")
    }
  }
  try walk(value, depth: 0)
  return try Tensor(flat, shape: shape)
}
