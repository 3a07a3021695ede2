import NN
import Tensor

/// A builtin making a layer with no parameters of its own.
private func simpleLayer(_ name: String, _ summary: String, _ make: @escaping () -> Layer) -> Builtin {
  Builtin(name, family: "layers", summary: summary) { _, _ in .layer(make()) }
}

/// An activation layer with a slope or scale parameter.
private func alphaActivation(_ function: Activation.Function, _ alpha: Double, _ summary: String) -> Builtin {
  Builtin(
    function.rawValue, family: "layers", parameters: [Parameter("alpha", default: .number(alpha))], summary: summary
  ) { args, _ in
    .layer(Activation(function, alpha: Float(try args.number("alpha"))))
  }
}

/// The `l1:`, `l2:` and `init:` arguments that conv and dense share.
private func configureWeights(_ layer: Regularized, _ args: Arguments) throws {
  let initializer = try args.choice("init", of: Initializer.self)
  layer.l1 = Float(try args.number("l1"))
  layer.l2 = Float(try args.number("l2"))
  layer.initializer = initializer
}

/// Layers of a `{ … }` block or a list argument.
func layerItems(_ args: Arguments, _ builtin: String) throws -> [Layer] {
  let items = try args.block ?? (args.has("layers") ? args.list("layers") : [])
  let layers = try items.map { value -> Layer in
    guard case .layer(let layer) = value else {
      throw AtelierError("\(builtin): every item must be a layer, not a \(value.typeName)")
    }
    return layer
  }
  guard !layers.isEmpty else {
    throw AtelierError("\(builtin) needs at least one layer", hint: "\(builtin) { dense 10 }")
  }
  return layers
}

/// A list of whole numbers, such as a shape.
func wholeNumbers(_ value: Value, _ builtin: String, _ parameter: String) throws -> [Int] {
  let items: [Value]
  if case .list(let list) = value { items = list } else { items = [value] }
  return try items.map { item in
    guard case .number(let n) = item, n.rounded() == n, abs(n) < 1e9 else {
      throw AtelierError("\(builtin): \(parameter) must be whole numbers, such as [1, 28, 28]")
    }
    return Int(n)
  }
}

let layerBuiltins: [Builtin] = [
  Builtin(
    "conv", family: "layers",
    parameters: [
      Parameter("filters", type: .number, whole: LayerBounds.channels, "number of output channels"),
      Parameter("kernel", type: .number, whole: LayerBounds.window, "kernel size (square)"),
      Parameter("stride", default: .number(1), whole: LayerBounds.stride),
      Parameter(
        "pad", default: .number(0), type: .any,
        "zero padding on each side, or \"same\" (Keras: even kernels pad more at the bottom and right)"),
      Parameter("bias", default: .bool(true)),
      Parameter("l1", default: .number(0), "L1 weight penalty added to the loss"),
      Parameter("l2", default: .number(0), "L2 weight penalty added to the loss (Keras' kernel_regularizer)"),
      Parameter(
        "init", default: .string("pytorch"), oneOf: Parameter.options(Initializer.self),
        "\"pytorch\" (default) or \"glorot\" (Keras)"),
    ],
    summary: "2-D convolution: conv 6, 5, pad: 2."
  ) { args, _ in
    var same = false, padding = 0
    switch args["pad"] {
    case .string("same"): same = true
    case .string("valid"): padding = 0
    default: padding = try args.int("pad", in: LayerBounds.padding)
    }
    let conv = try Conv2d(
      filters: try args.int("filters"), kernel: try args.int("kernel"),
      stride: try args.int("stride"),
      padding: padding,
      bias: try args.bool("bias"), same: same)
    try configureWeights(conv, args)
    return .layer(conv)
  },
  Builtin(
    "deconv", family: "layers",
    parameters: [
      Parameter("filters", type: .number, whole: LayerBounds.channels),
      Parameter("kernel", type: .number, whole: LayerBounds.window),
      Parameter("stride", default: .number(1), whole: LayerBounds.stride),
      Parameter("pad", default: .number(0), whole: LayerBounds.padding),
      Parameter("output_pad", default: .number(0), whole: LayerBounds.padding, "extra rows and columns at the end"),
    ],
    summary: "Transposed convolution (upsampling): deconv 32, 3, stride: 2, pad: 1, output_pad: 1."
  ) { args, _ in
    .layer(
      try ConvTranspose2d(
        filters: try args.int("filters"), kernel: try args.int("kernel"),
        stride: try args.int("stride"),
        padding: try args.int("pad"),
        outputPadding: try args.int("output_pad")))
  },
  Builtin(
    "maxpool", family: "layers",
    parameters: [
      Parameter("kernel", type: .number, whole: LayerBounds.window, "window size (square)"),
      Parameter("stride", default: .none, type: .number, whole: LayerBounds.stride, "defaults to the kernel size"),
      Parameter("pad", default: .number(0), whole: LayerBounds.padding),
    ],
    summary: "Max pooling: maxpool 2, or maxpool 3, stride: 2."
  ) { args, _ in
    .layer(
      try MaxPool2d(
        kernel: try args.int("kernel"), stride: try args.optionalInt("stride"),
        padding: try args.int("pad")))
  },
  Builtin(
    "avgpool", family: "layers",
    parameters: [
      Parameter("kernel", type: .number, whole: LayerBounds.window),
      Parameter("stride", default: .none, type: .number, whole: LayerBounds.stride),
      Parameter("pad", default: .number(0), whole: LayerBounds.padding),
    ],
    summary: "Average pooling (padding counts in the mean, as PyTorch): avgpool 4, stride: 2, pad: 2."
  ) { args, _ in
    .layer(
      try AvgPool2d(
        kernel: try args.int("kernel"), stride: try args.optionalInt("stride"),
        padding: try args.int("pad")))
  },
  simpleLayer("globalavgpool", "The mean of each channel: (C, H, W) -> (C).") { GlobalAvgPool() },
  Builtin(
    "dense", family: "layers",
    parameters: [
      Parameter("units", type: .number, whole: LayerBounds.units, "number of outputs"),
      Parameter("bias", default: .bool(true)),
      Parameter("l1", default: .number(0)),
      Parameter("l2", default: .number(0), "L2 weight penalty (Keras' kernel_regularizer)"),
      Parameter(
        "init", default: .string("pytorch"), oneOf: Parameter.options(Initializer.self),
        "\"pytorch\" (default) or \"glorot\" (Keras)"),
    ],
    summary: "Fully connected layer over flat features: dense 120."
  ) { args, _ in
    let dense = try Linear(units: try args.int("units"), bias: try args.bool("bias"))
    try configureWeights(dense, args)
    return .layer(dense)
  },
  Builtin(
    "batchnorm", family: "layers",
    parameters: [Parameter("momentum", default: .number(0.1)), Parameter("eps", default: .number(1e-5))],
    summary: "Batch normalisation after a conv or dense layer; running statistics in evaluation."
  ) { args, _ in
    .layer(BatchNorm(momentum: Float(try args.number("momentum")), epsilon: Float(try args.number("eps"))))
  },
  Builtin(
    "dropout", family: "layers", parameters: [Parameter("p", type: .number, "the fraction dropped while training")],
    summary: "Dropout: zeroes a fraction p of values while training."
  ) { args, _ in
    .layer(try Dropout(Float(try args.number("p"))))
  },
  simpleLayer("relu", "Rectified linear activation, max(x, 0).") { Activation(.relu) },
  alphaActivation(.leakyrelu, 0.01, "Leaky ReLU: x, or alpha·x below zero."),
  alphaActivation(.elu, 1, "ELU: x, or alpha·(eˣ - 1) below zero."),
  simpleLayer("gelu", "GELU, x·Φ(x) (exact, as PyTorch's default).") { Activation(.gelu) },
  simpleLayer("tanh", "Hyperbolic tangent.") { Activation(.tanh) },
  simpleLayer("sigmoid", "Logistic sigmoid, 1 / (1 + e⁻ˣ).") { Activation(.sigmoid) },
  simpleLayer("softmax", "Softmax over features (fit applies its own; use for probability outputs).") {
    Activation(.softmax)
  },
  simpleLayer("identity", "Passes its input through.") { Activation(.identity) },
  simpleLayer("flatten", "Flattens each sample to one feature vector.") { Flatten() },
  Builtin(
    "reshape", family: "layers",
    parameters: [Parameter("shape", type: .list, "per-sample shape; one entry may be -1")],
    summary: "Reshapes each sample: reshape [64, 7, 7]."
  ) { args, _ in
    .layer(Reshape(try wholeNumbers(args["shape"], "reshape", "shape")))
  },
  Builtin(
    "pad", family: "layers",
    parameters: [Parameter("amount", type: .any, "pixels on every side, or [top, left, bottom, right]")],
    summary: "Zero padding around each image: pad 2 turns 28x28 into 32x32."
  ) { args, _ in
    let p = try wholeNumbers(args["amount"], "pad", "amount")
    guard p.count == 1 || p.count == 4 else { throw AtelierError("pad: give one amount or four") }
    return .layer(
      p.count == 1
        ? try ZeroPad(top: p[0], left: p[0], bottom: p[0], right: p[0])
        : try ZeroPad(top: p[0], left: p[1], bottom: p[2], right: p[3]))
  },
  Builtin(
    "resize", family: "layers", parameters: [Parameter("size", type: .any, "a side length, or [height, width]")],
    summary: "Bilinear resize of each image: resize 32, or resize [224, 224]."
  ) { args, _ in
    let size = try wholeNumbers(args["size"], "resize", "size")
    guard size.count == 1 || size.count == 2 else { throw AtelierError("resize: give one side or [height, width]") }
    return .layer(try Resize(height: size[0], width: size.count == 2 ? size[1] : size[0]))
  },
  Builtin(
    "named", family: "layers", parameters: [Parameter("layer", type: .layer), Parameter("name", type: .string)],
    summary: "The layer, named as `as` names it in a block: named(dense(10), \"fc\").",
    help:
      "For layers made in code rather than in a { … } block; the name is the layer's path in summaries, features(at:) and weight files."
  ) { args, _ in
    guard case .layer(let layer) = args["layer"] else { throw AtelierError("named: layer must be a layer") }
    let name = try args.string("name")
    guard !name.isEmpty, !name.contains("."), !name.contains(where: \.isWhitespace) else {
      throw AtelierError("named: a layer name needs at least one character and no dots or spaces, not \"\(name)\"")
    }
    layer.setExplicitName(name)
    return .layer(layer)
  },
  Builtin(
    "grey_to_rgb", family: "layers",
    parameters: [
      Parameter("mean", default: .list(GreyToRGB.imagenetMean.map { .number(Double($0)) }), type: .list),
      Parameter("std", default: .list(GreyToRGB.imagenetStd.map { .number(Double($0)) }), type: .list),
    ],
    summary: "Copies grey images to 3 channels and normalises each: (x - mean[c]) / std[c], ImageNet's by default.",
    help: "The input of an ImageNet-trained net: model { resize 224; grey_to_rgb; … } as resnet18(small: false) does."
  ) { args, _ in
    .layer(
      try GreyToRGB(
        mean: try numbers(args["mean"], "grey_to_rgb").map(Float.init),
        std: try numbers(args["std"], "grey_to_rgb").map(Float.init)))
  },
  Builtin(
    "residual", family: "layers",
    parameters: [
      Parameter("layers", default: .none, type: .list),
      Parameter(
        "act", default: .string("none"), type: .string, oneOf: ["none"] + Parameter.options(Activation.Function.self),
        "an activation applied after the sum, e.g. \"relu\""),
    ],
    acceptsBlock: true,
    summary:
      "A residual block: residual(act: \"relu\") { conv 64, 3, pad: 1; batchnorm; relu; conv 64, 3, pad: 1; batchnorm }.",
    help:
      "The block's output is added to its input, then `act` applies (ResNet's blocks end with relu); when the shapes differ, a 1x1 convolution with batch norm projects the input. Parameter names follow torchvision's BasicBlock: conv1.weight, bn1.weight, downsample.0.weight."
  ) { args, _ in
    let act = try args.string("act")
    // Binding checked that act is "none" or a function's name.
    let activation = Activation.Function(rawValue: act).map { Activation($0) }
    return .layer(try Residual(try layerItems(args, "residual"), activation: activation))
  },
  Builtin(
    "model", family: "layers",
    parameters: [
      Parameter("layers", default: .none, type: .list, "a list of layers, instead of a block"),
      Parameter(
        "input", default: .none, type: .list,
        "per-sample input shape, e.g. [1, 28, 28]; else inferred at the first fit"),
    ],
    acceptsBlock: true,
    summary: "A sequential model from a block of layers: model { conv 6, 5; relu; … }.",
    help:
      "model(input: [1, 28, 28]) { conv 6, 5, pad: 2; relu; maxpool 2; flatten; dense 10 }, or model([flatten(), dense(10)]). Models nest as layers."
  ) { args, context in
    let model = try Sequential(try layerItems(args, "model"))
    if args.has("input") {
      let shape = try wholeNumbers(args["input"], "model", "input")
      guard shape.allSatisfy({ $0 >= 1 }) else {
        throw AtelierError("model: input must be positive whole numbers such as [1, 28, 28]")
      }
      try model.build(inputShape: shape, rng: context.interpreter.rng)
    }
    return .layer(model)
  },
  Builtin(
    "vae", family: "layers",
    parameters: [
      Parameter("encoder", type: .model, "images -> flat features"),
      Parameter("decoder", type: .model, "latent code -> images"),
      Parameter("latent", type: .number, whole: LayerBounds.latent, "size of the latent code"),
      Parameter("input", default: .none, type: .list),
    ],
    summary: "A variational autoencoder; calling it gives {recon, mu, logvar}.",
    help:
      "Dense heads map the encoder's features to mu and logvar; z = mu + exp(logvar/2)·eps feeds the decoder while training (z = mu in evaluation)."
  ) { args, context in
    guard case .layer(let e) = args["encoder"], let encoder = e as? Sequential, case .layer(let d) = args["decoder"],
      let decoder = d as? Sequential
    else { throw AtelierError("vae: encoder and decoder must be models") }
    let vae = try VAE(encoder: encoder, decoder: decoder, latent: try args.int("latent"))
    if args.has("input") {
      _ = try vae.build(inputShape: try wholeNumbers(args["input"], "vae", "input"), rng: context.interpreter.rng)
    }
    return .layer(vae)
  },
]
