import Foundation
import NN
import Tensor

let coreBuiltins: [Builtin] = [
  Builtin(
    "print", family: "core", variadic: true, summary: "Writes its arguments, separated by spaces, then a new line.",
    help: "print \"epoch\", 3, h.val_acc.last"
  ) { args, context in
    guard case .list(let items) = args["*"] else { return .none }
    context.session.write(items.map(Printer.show).joined(separator: " ") + "\n")
    return .none
  },
  Builtin(
    "summary", family: "core", parameters: [Parameter("model", type: .model, "the model to describe")],
    summary: "Shows a model's layers with output shapes and parameter counts."
  ) { args, context in
    let model = try requireModel(args["model"], "summary")
    context.session.write(Printer.summary(model) + "\n")
    return .none
  },
  Builtin(
    "seed", family: "core", parameters: [Parameter("value", type: .number, "any whole number")],
    summary: "Resets the generator that initialises new models' weights."
  ) { args, context in
    let value = try args.int("value", in: Arguments.seeds)
    context.session.rng = RandomSource(seed: UInt64(bitPattern: Int64(value)))
    return .none
  },
  Builtin("type", family: "core", parameters: [Parameter("value")], summary: "The type of a value, as a string.") {
    args, _ in
    .string(args["value"].typeName)
  },
  Builtin("str", family: "core", parameters: [Parameter("value")], summary: "A value as text, as print writes it.") {
    args, _ in
    .string(Printer.show(args["value"]))
  },
  Builtin(
    "num", family: "core", parameters: [Parameter("text")], summary: "Parses a number from a string (\"0.1\" -> 0.1)."
  ) { args, _ in
    if case .number = args["text"] { return args["text"] }
    let text = try args.string("text").trimmingCharacters(in: .whitespaces)
    guard let n = Double(text) else { throw AtelierError("num: \"\(text)\" is not a number") }
    return .number(n)
  },
  Builtin(
    "assert", family: "core",
    parameters: [Parameter("condition"), Parameter("message", default: .string("assertion failed"))],
    summary: "Stops with an error when the condition is false."
  ) { args, context in
    guard try context.session.truth(args["condition"], at: context.location) else {
      throw AtelierError(try args.string("message"))
    }
    return .none
  },
  Builtin(
    "setting", family: "core", parameters: [Parameter("name", type: .string), Parameter("default")],
    summary: "A value given with `atelier run --set name=value`, else the default.",
    help: "quick = setting(\"quick\", false)   # atelier run nb.atl --set quick=true"
  ) { args, context in
    context.session.settings[try args.string("name")] ?? args["default"]
  },
  Builtin("clock", family: "core", summary: "Seconds since an arbitrary start, for timing.") { _, _ in
    .number(Date().timeIntervalSinceReferenceDate)
  },
]
