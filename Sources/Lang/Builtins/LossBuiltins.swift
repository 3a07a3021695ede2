import Data
import NN
import Tensor

func requireTensor(_ value: Value, _ builtin: String, _ parameter: String) throws -> Tensor {
  switch value {
  case .tensor(let t): return t
  case .number(let n): return Tensor.scalar(Float(n))
  default: throw AtelierError("\(builtin): \(parameter) must be a tensor, not a \(value.typeName)")
  }
}

private func reduction(_ args: Arguments) throws -> Reduction {
  try args.choice("reduction", of: Reduction.self)
}

private func requireVAE(_ value: Value, _ builtin: String) throws -> VAE {
  guard case .layer(let layer) = value, let vae = layer as? VAE else {
    throw AtelierError("\(builtin): expected a vae, not a \(value.typeName)")
  }
  return vae
}

/// Losses and the pieces of a training loop written in the language.
let lossBuiltins: [Builtin] = [
  Builtin(
    "cross_entropy", family: "losses",
    parameters: [
      Parameter("logits", type: .tensor), Parameter("labels", type: .list),
      Parameter("smoothing", default: .number(0)),
    ],
    summary: "Mean softmax cross-entropy of logits against class labels."
  ) { args, _ in
    .tensor(
      try softmaxCrossEntropy(
        try requireTensor(args["logits"], "cross_entropy", "logits"),
        labels: try classIndices(args["labels"], "cross_entropy", below: 1_000_000),
        smoothing: Float(try args.number("smoothing"))))
  },
  Builtin(
    "bce", family: "losses",
    parameters: [
      Parameter("prediction", type: .tensor), Parameter("target", type: .tensor),
      Parameter("logits", default: .bool(false), "the prediction is logits, not probabilities"),
      Parameter("reduction", default: .string("mean"), oneOf: Parameter.options(Reduction.self), "\"mean\" or \"sum\""),
    ],
    summary: "Binary cross-entropy (log clamped as PyTorch's)."
  ) { args, _ in
    .tensor(
      try binaryCrossEntropy(
        try requireTensor(args["prediction"], "bce", "prediction"), try requireTensor(args["target"], "bce", "target"),
        fromLogits: try args.bool("logits"), reduction: try reduction(args)))
  },
  Builtin(
    "mse", family: "losses",
    parameters: [
      Parameter("prediction", type: .tensor), Parameter("target", type: .tensor),
      Parameter("reduction", default: .string("mean"), oneOf: Parameter.options(Reduction.self)),
    ],
    summary: "Mean squared error."
  ) { args, _ in
    .tensor(
      try meanSquaredError(
        try requireTensor(args["prediction"], "mse", "prediction"), try requireTensor(args["target"], "mse", "target"),
        reduction: try reduction(args)))
  },
  Builtin(
    "kl", family: "losses",
    parameters: [
      Parameter("mu", type: .tensor), Parameter("logvar", type: .tensor),
      Parameter(
        "reduction", default: .string("mean"), oneOf: Parameter.options(Reduction.self), "mean over the batch, or sum"),
    ],
    summary: "KL divergence of N(mu, exp(logvar)) from N(0, I), summed over the latent code."
  ) { args, _ in
    .tensor(
      try gaussianKL(
        mu: try requireTensor(args["mu"], "kl", "mu"), logvar: try requireTensor(args["logvar"], "kl", "logvar"),
        reduction: try reduction(args)))
  },
  Builtin(
    "step", family: "losses", parameters: [Parameter("opt", type: .optimizer), Parameter("loss", type: .tensor)],
    summary: "Back-propagates the loss, updates the weights it depends on, and clears their gradients.",
    help:
      "Compute the loss and call step in the same statement (e.g. inside one for loop): the graph is cleared between statements."
  ) { args, context in
    guard case .optimizer(let optimizer) = args["opt"] else { return .none }
    let loss = try requireTensor(args["loss"], "step", "loss")
    guard loss.count == 1, loss.requiresGrad else {
      throw AtelierError(
        "step: the loss does not depend on any weights",
        hint: "compute it from a model called as a function, e.g. cross_entropy(net(b.images), b.labels)")
    }
    guard loss.scalarValue.isFinite else {
      throw AtelierError(
        "step: the loss is \(loss.scalarValue)", hint: "lower the learning rate (now \(optimizer.learningRate))")
    }
    let parameters = try context.session.tape.backward(loss)
    optimizer.step(parameters)
    optimizer.zeroGrad(parameters)
    return .number(Double(loss.scalarValue))
  },
  Builtin(
    "params", family: "losses", parameters: [Parameter("model", type: .layer)],
    summary: "A model's parameters as {name: tensor}."
  ) { args, _ in
    guard case .layer(let layer) = args["model"] else { return .none }
    return .record(Record(layer.parameters.map { ($0.name, .tensor($0.tensor)) }))
  },
  Builtin(
    "train_mode", family: "losses", parameters: [Parameter("model", type: .layer)],
    summary: "Calls of the model train: dropout on, batch statistics."
  ) { args, context in
    guard case .layer(let layer) = args["model"] else { return .none }
    context.session.trainingModels[layer] = true
    return .none
  },
  Builtin(
    "eval_mode", family: "losses", parameters: [Parameter("model", type: .layer)],
    summary: "Calls of the model evaluate (the default)."
  ) { args, context in
    guard case .layer(let layer) = args["model"] else { return .none }
    context.session.trainingModels[layer] = nil
    return .none
  },
  Builtin(
    "batches", family: "losses",
    parameters: [
      Parameter("data", type: .dataset), Parameter("size", default: .number(128), whole: 1...1_000_000),
      Parameter("shuffle", default: .bool(true)),
      Parameter("seed", default: .number(1)),
    ],
    summary: "Mini-batches {images, labels} for a loop: for b in batches(data.train, 128) { … }."
  ) { args, _ in
    let data = try requireDataset(args["data"], "batches", "data")
    let size = try args.int("size")
    guard size >= 1 else { throw AtelierError("batches: size must be at least 1") }
    return .batches(
      Batches(
        data, size: size, shuffle: try args.bool("shuffle"),
        rng: RandomSource(seed: UInt64(bitPattern: Int64(try args.int("seed", in: Arguments.seeds))))))
  },
  Builtin(
    "encode", family: "losses", parameters: [Parameter("vae", type: .layer), Parameter("images", type: .tensor)],
    summary: "A VAE's latent means and log-variances: {mu, logvar}."
  ) { args, _ in
    let vae = try requireVAE(args["vae"], "encode")
    let (mu, logvar) = try Tape.withoutRecording {
      try vae.encode(try requireTensor(args["images"], "encode", "images"), training: false)
    }
    return .record(Record([("mu", .tensor(mu)), ("logvar", .tensor(logvar))]))
  },
  Builtin(
    "decode", family: "losses", parameters: [Parameter("vae", type: .layer), Parameter("z", type: .tensor)],
    summary: "Images a VAE's decoder makes from latent codes."
  ) { args, _ in
    let vae = try requireVAE(args["vae"], "decode")
    return .tensor(
      try Tape.withoutRecording { try vae.decode(try requireTensor(args["z"], "decode", "z"), training: false) })
  },
]
