import Data
import NN

func requireModel(_ value: Value, _ builtin: String) throws -> Sequential {
  guard case .layer(let layer) = value, let model = layer as? Sequential else {
    throw AtelierError("\(builtin): expected a model, not a \(value.typeName)", hint: "make one with model { … }")
  }
  return model
}

func requireDataset(_ value: Value, _ builtin: String, _ parameter: String) throws -> Dataset {
  guard case .dataset(let dataset) = value else {
    throw AtelierError(
      "\(builtin): \(parameter) must be a dataset, not a \(value.typeName)",
      hint: value.typeName == "record" ? "pick a part of it, e.g. data.train" : nil)
  }
  return dataset
}

let trainingBuiltins: [Builtin] = [
  Builtin(
    "adam", family: "training",
    parameters: [
      Parameter("lr", default: .number(1e-3)), Parameter("beta1", default: .number(0.9)),
      Parameter("beta2", default: .number(0.999)), Parameter("eps", default: .number(1e-8)),
      Parameter("weight_decay", default: .number(0)),
    ],
    summary: "The Adam optimizer (PyTorch's defaults)."
  ) { args, _ in
    .optimizer(
      Adam(
        learningRate: Float(try args.number("lr")), beta1: Float(try args.number("beta1")),
        beta2: Float(try args.number("beta2")), epsilon: Float(try args.number("eps")),
        weightDecay: Float(try args.number("weight_decay"))))
  },
  Builtin(
    "sgd", family: "training",
    parameters: [
      Parameter("lr", type: "number"), Parameter("momentum", default: .number(0)), Parameter("weight_decay", default: .number(0)),
      Parameter("nesterov", default: .bool(false)),
    ],
    summary: "Stochastic gradient descent with optional momentum."
  ) { args, _ in
    .optimizer(
      SGD(
        learningRate: Float(try args.number("lr")), momentum: Float(try args.number("momentum")),
        weightDecay: Float(try args.number("weight_decay")), nesterov: try args.bool("nesterov")))
  },
  Builtin(
    "fit", family: "training",
    parameters: [
      Parameter("model", type: "model"), Parameter("data", type: "dataset", "a dataset such as data.train"),
      Parameter("epochs", default: .number(1)), Parameter("batch", default: .number(128)),
      Parameter("opt", default: .none, type: "optimizer", "an optimizer; default adam()"),
      Parameter("val", default: .none, type: "dataset", "a dataset evaluated after each epoch"),
      Parameter("seed", default: .number(1), "seeds the shuffling of batches"),
    ],
    summary: "Trains a model with cross-entropy and returns its per-epoch history."
  ) { args, context in
    let model = try requireModel(args["model"], "fit")
    let data = try requireDataset(args["data"], "fit", "data")
    let optimizer: Optimizer
    if case .optimizer(let o) = args["opt"] {
      optimizer = o
    } else if args.has("opt") {
      throw AtelierError("fit: opt must be an optimizer such as adam(lr: 1e-3), not \(args["opt"].typeName)")
    } else {
      optimizer = Adam()
    }
    let validation = args.has("val") ? try requireDataset(args["val"], "fit", "val") : nil
    let options = FitOptions(
      epochs: try args.int("epochs"), batchSize: try args.int("batch"),
      seed: UInt64(bitPattern: Int64(try args.int("seed"))), validation: validation)
    let display = ConsoleProgress(isTerminal: context.interpreter.isTerminal, write: context.interpreter.write)
    let history = try fit(
      model, on: data, optimizer: optimizer, options: options, initRNG: context.interpreter.rng,
      progress: display.handle)
    return .history(history)
  },
  Builtin(
    "evaluate", family: "training", parameters: [Parameter("model", type: "model"), Parameter("data", type: "dataset")],
    summary: "Loss, accuracy and per-class accuracy of a model on a dataset."
  ) { args, _ in
    let model = try requireModel(args["model"], "evaluate")
    let data = try requireDataset(args["data"], "evaluate", "data")
    let result = try evaluate(model, on: data)
    let perClass = Record(
      zip(data.classes, result.perClassAccuracy).map { ($0, .number($1)) })
    return .record(
      Record([
        ("loss", .number(result.loss)), ("acc", .number(result.accuracy)),
        ("per_class", .record(perClass)),
      ]))
  },
]
