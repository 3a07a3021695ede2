import Data
import NN
import Tensor

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

/// Weight decay as SGD, RMSprop and Adam apply it: an L2 penalty inside the update.
private let weightDecay = Parameter("weight_decay", default: .number(0), "L2 penalty on the weights inside the update")

private func schedule(_ args: Arguments) throws -> LearningRateSchedule {
  switch args["schedule"] {
  case .none: return .constant
  case .string("cosine"):
    return .cosine(epochs: try args.int("epochs", in: 1...1_000_000), minimum: try args.number("min_lr"))
  case .string("step"):
    return .step(every: try args.int("step_every", in: 1...1_000_000), gamma: try args.number("gamma"))
  default: throw AtelierError("fit: schedule must be \"cosine\" or \"step\"")
  }
}

/// Adam, with the weight decay inside the update or (AdamW) decoupled from it.
private func adamBuiltin(_ name: String, weightDecay: Parameter, decoupled: Bool, summary: String) -> Builtin {
  Builtin(
    name, family: "training",
    parameters: [
      Parameter("lr", default: .number(1e-3)), Parameter("beta1", default: .number(0.9)),
      Parameter("beta2", default: .number(0.999)), Parameter("eps", default: .number(1e-8)), weightDecay,
    ], summary: summary
  ) { args, _ in
    .optimizer(
      Adam(
        learningRate: Float(try args.number("lr")), beta1: Float(try args.number("beta1")),
        beta2: Float(try args.number("beta2")), epsilon: Float(try args.number("eps")),
        weightDecay: Float(try args.number("weight_decay")), decoupled: decoupled))
  }
}

let trainingBuiltins: [Builtin] = [
  adamBuiltin(
    "adam", weightDecay: weightDecay,
    decoupled: false, summary: "The Adam optimizer (PyTorch's defaults)."),
  adamBuiltin(
    "adamw", weightDecay: Parameter("weight_decay", default: .number(0.01), "decoupled decay of the weights"),
    decoupled: true, summary: "AdamW: Adam with decoupled weight decay (PyTorch's defaults)."),
  Builtin(
    "sgd", family: "training",
    parameters: [
      Parameter("lr", type: .number), Parameter("momentum", default: .number(0)),
      Parameter("nesterov", default: .bool(false)),
    ]
      + [weightDecay],
    summary: "Stochastic gradient descent with optional momentum and Nesterov."
  ) { args, _ in
    .optimizer(
      SGD(
        learningRate: Float(try args.number("lr")), momentum: Float(try args.number("momentum")),
        weightDecay: Float(try args.number("weight_decay")), nesterov: try args.bool("nesterov")))
  },
  Builtin(
    "rmsprop", family: "training",
    parameters: [
      Parameter("lr", default: .number(1e-2)), Parameter("alpha", default: .number(0.99)),
      Parameter("eps", default: .number(1e-8)),
    ]
      + [weightDecay],
    summary: "RMSprop (PyTorch's defaults)."
  ) { args, _ in
    .optimizer(
      RMSprop(
        learningRate: Float(try args.number("lr")), alpha: Float(try args.number("alpha")),
        epsilon: Float(try args.number("eps")),
        weightDecay: Float(try args.number("weight_decay"))))
  },
  Builtin(
    "fit", family: "training",
    parameters: [
      Parameter("model", type: .model), Parameter("data", type: .dataset, "a dataset such as data.train"),
      Parameter("epochs", default: .number(1), whole: 0...1_000_000),
      Parameter("batch", default: .number(128), whole: 1...1_000_000),
      Parameter(
        "opt", default: .none, type: .optimizer,
        "an optimizer; default the one the model last trained with (its state kept), else adam()"),
      Parameter("val", default: .none, type: .dataset, "a dataset evaluated after each epoch"),
      Parameter("seed", default: .number(1), "seeds the shuffling of batches"),
      Parameter("smoothing", default: .number(0), "label smoothing of the cross-entropy"),
      Parameter("clip", default: .none, type: .number, "clip the global gradient norm to this"),
      Parameter(
        "schedule", default: .none, type: .string, oneOf: ["cosine", "step"],
        "\"cosine\" (to min_lr over the epochs) or \"step\" (times gamma every step_every epochs)"),
      Parameter("min_lr", default: .number(0)), Parameter("step_every", default: .number(10)),
      Parameter("gamma", default: .number(0.1)),
      Parameter("warmup", default: .number(0), whole: 0...1_000_000, "epochs of linear learning-rate warm-up"),
      Parameter(
        "patience", default: .none, type: .number, whole: 0...1_000_000,
        "stop after this many epochs without improvement"),
      Parameter(
        "monitor", default: .none, type: .string, oneOf: Parameter.options(Monitor.self),
        "val_loss (default with val), val_acc, loss or acc"),
      Parameter("restore_best", default: .bool(true), "with patience: end with the best epoch's weights"),
      Parameter(
        "checkpoint", default: .none, type: .string,
        "save to this .atlm every `every` epochs, plus -epochN and -best copies"),
      Parameter("every", default: .number(1), whole: 1...1_000_000),
      Parameter("resume", default: .none, type: .string, "continue the run saved in this checkpoint"),
      Parameter("flip", default: .bool(false), "augment: random horizontal flips, drawn afresh each epoch"),
      Parameter(
        "crop", default: .number(0), "augment: random crops from a border of this many zero pixels, each epoch"),
    ],
    summary: "Trains a model with cross-entropy and returns its per-epoch history.",
    help:
      "fit(net, data.train, epochs: 10, opt: sgd(lr: 0.05, momentum: 0.9), val: val, patience: 3, checkpoint: \"out/run.atlm\")",
    mutates: ["model", "opt"]
  ) { args, context in
    let model = try requireModel(args["model"], "fit")
    let data = try requireDataset(args["data"], "fit", "data")
    // A model trained before carries on with its optimizer and that optimizer's state.
    var optimizer: Optimizer = model.training.optimizer ?? Adam()
    if case .optimizer(let o) = args["opt"] { optimizer = o }
    var options = FitOptions(
      epochs: try args.int("epochs"), batchSize: try args.int("batch"),
      seed: UInt64(bitPattern: Int64(try args.int("seed", in: Arguments.seeds))),
      validation: args.has("val") ? try requireDataset(args["val"], "fit", "val") : nil)
    options.labelSmoothing = Float(try args.number("smoothing"))
    options.clipNorm = args.has("clip") ? Float(try args.number("clip")) : nil
    options.schedule = try schedule(args)
    options.warmupEpochs = try args.int("warmup")
    if args.has("monitor") { options.monitor = try args.string("monitor") }
    if args.has("patience") {
      options.earlyStopping = EarlyStopping(
        patience: try args.int("patience"),
        monitor: options.monitor ?? (options.validation != nil ? "val_loss" : "loss"),
        restoreBest: try args.bool("restore_best"))
    }
    if args.has("checkpoint") {
      options.checkpoint = CheckpointPolicy(
        path: try context.outputPath(try args.string("checkpoint")), every: try args.int("every"))
    }
    if args.has("resume") { options.resume = context.resolve(try args.string("resume")) }
    let flip = try args.bool("flip"), crop = try args.int("crop", in: 0...1024)
    if flip || crop > 0 { options.augmentation = (flip, crop) }
    let display = ConsoleProgress(isTerminal: context.session.isTerminal, write: context.session.write)
    let history = try fit(
      model, on: data, optimizer: optimizer, options: options, initRNG: context.session.rng,
      progress: display.handle)
    return .history(history)
  },
  Builtin(
    "history", family: "training", parameters: [Parameter("model", type: .model)],
    summary: "Every epoch the model has trained, across its fits: history(net).",
    help: "Each fit returns its own epochs; h1 + h2 joins two of them."
  ) { args, _ in
    .history(try requireModel(args["model"], "history").training.history)
  },
  Builtin(
    "evaluate", family: "training",
    parameters: [Parameter("model", type: .model), Parameter("data", type: .dataset)],
    summary: "Loss, accuracy and per-class accuracy of a model on a dataset."
  ) { args, _ in
    let model = try requireModel(args["model"], "evaluate")
    let data = try requireDataset(args["data"], "evaluate", "data")
    let result = try evaluate(model, on: data)
    let perClass = Record(zip(data.classes, result.perClassAccuracy).map { ($0, .number($1)) })
    return .record(
      Record([("loss", .number(result.loss)), ("acc", .number(result.accuracy)), ("per_class", .record(perClass))]))
  },
  Builtin(
    "predict", family: "training",
    parameters: [Parameter("model", type: .layer), Parameter("data", type: .any, "a dataset or a tensor of images")],
    summary: "Class probabilities and predicted labels: {probs, labels}."
  ) { args, _ in
    guard case .layer(let model) = args["model"] else { throw AtelierError("predict: expected a model") }
    let (probabilities, labels): (Tensor, [Int32])
    switch args["data"] {
    case .dataset(let d): (probabilities, labels) = try predict(model, on: d)
    case .tensor(let t): (probabilities, labels) = try predict(model, on: t)
    default: throw AtelierError("predict: data must be a dataset or a tensor, not a \(args["data"].typeName)")
    }
    return .record(Record([("probs", .tensor(probabilities)), ("labels", .list(labels.map { .number(Double($0)) }))]))
  },
]
