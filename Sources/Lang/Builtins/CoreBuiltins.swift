import NN
import Tensor

let coreBuiltins: [Builtin] = [
  Builtin(
    "print", family: "core", variadic: true, summary: "Writes its arguments, separated by spaces, then a new line."
  ) { args, interpreter in
    guard case .list(let items) = args["*"] else { return .none }
    interpreter.write(items.map(Printer.show).joined(separator: " ") + "\n")
    return .none
  },
  Builtin(
    "summary", family: "core", parameters: [Parameter("model", "the model to describe")],
    summary: "Shows a model's layers with output shapes and parameter counts."
  ) { args, interpreter in
    guard case .layer(let layer) = args["model"], let model = layer as? Sequential else {
      throw AtelierError("summary: model must be a model, not \(args["model"].typeName)")
    }
    interpreter.write(Printer.summary(model) + "\n")
    return .none
  },
  Builtin(
    "seed", family: "core", parameters: [Parameter("value", "any whole number")],
    summary: "Resets the generator that initialises new models' weights."
  ) { args, interpreter in
    let value = try args.int("value")
    interpreter.rng = RandomSource(seed: UInt64(bitPattern: Int64(value)))
    return .none
  },
]
