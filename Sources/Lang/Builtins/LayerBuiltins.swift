import NN
import Tensor

/// Every layer constructor of the language; a model block calls these.
let layerBuiltins: [Builtin] = [
  Builtin(
    "conv", family: "layers",
    parameters: [
      Parameter("filters", type: "number", "number of output channels"), Parameter("kernel", type: "number", "kernel size (square)"),
      Parameter("stride", default: .number(1)), Parameter("pad", default: .number(0), "zero padding on each side"),
      Parameter("bias", default: .bool(true)),
    ],
    summary: "2-D convolution: conv 6, 5, pad: 2."
  ) { args, _ in
    .layer(
      try Conv2d(
        filters: try args.int("filters"), kernel: try args.int("kernel"), stride: try args.int("stride"),
        padding: try args.int("pad"), bias: try args.bool("bias")))
  },
  Builtin(
    "maxpool", family: "layers",
    parameters: [
      Parameter("kernel", type: "number", "window size (square)"),
      Parameter("stride", default: .none, type: "number", "defaults to the kernel size"),
      Parameter("pad", default: .number(0)),
    ],
    summary: "Max pooling: maxpool 2, or maxpool 3, stride: 2."
  ) { args, _ in
    .layer(
      try MaxPool2d(
        kernel: try args.int("kernel"), stride: try args.optionalInt("stride"), padding: try args.int("pad")))
  },
  Builtin(
    "dense", family: "layers",
    parameters: [Parameter("units", type: "number", "number of outputs"), Parameter("bias", default: .bool(true))],
    summary: "Fully connected layer over flat features: dense 120."
  ) { args, _ in
    .layer(try Linear(units: try args.int("units"), bias: try args.bool("bias")))
  },
  Builtin("relu", family: "layers", summary: "Rectified linear activation, max(x, 0).") { _, _ in .layer(ReLU()) },
  Builtin("flatten", family: "layers", summary: "Flattens each sample to one feature vector.") { _, _ in
    .layer(Flatten())
  },
  Builtin(
    "model", family: "layers",
    parameters: [
      Parameter("layers", default: .none, type: "list", "a list of layers, instead of a block"),
      Parameter("input", default: .none, type: "list", "per-sample input shape, e.g. [1, 28, 28]; else inferred at the first fit"),
    ],
    acceptsBlock: true,
    summary: "A sequential model from a block of layers: model { conv 6, 5; relu; … }.",
    help:
      "model(input: [1, 28, 28]) { conv 6, 5, pad: 2; relu; maxpool 2; flatten; dense 10 }, or model([flatten(), dense(10)])"
  ) { args, context in
    let items = try args.block ?? (args.has("layers") ? args.list("layers") : [])
    let layers = try items.map { value -> Layer in
      guard case .layer(let layer) = value else { throw AtelierError("model: every item must be a layer") }
      return layer
    }
    guard !layers.isEmpty else {
      throw AtelierError("model needs at least one layer", hint: "model { dense 10 }")
    }
    let model = try Sequential(layers)
    if args.has("input") {
      let shape = try args.list("input").map { item -> Int in
        guard case .number(let n) = item, n >= 1, n.rounded() == n, n < 1e9 else {
          throw AtelierError("model: input must be a list of positive whole numbers such as [1, 28, 28]")
        }
        return Int(n)
      }
      try model.build(inputShape: shape, rng: context.interpreter.rng)
    }
    return .layer(model)
  },
]
