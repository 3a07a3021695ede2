import Tensor

/// Every kind of layer, each declared once.
public enum LayerKinds {
  public static let all: [LayerKind] =
    [
      conv, deconv, maxpool, avgpool, globalavgpool, dense, batchnorm, dropout,
    ] + activations + [flatten, reshape, pad, resize, greyToRGB, residual, model, vae]

  public static let byKind: [String: LayerKind] = Dictionary(all.map { ($0.kind, $0) }, uniquingKeysWith: { a, _ in a })

  /// The declaration `layer` was made from.
  public static func of(_ layer: Layer) -> LayerKind? { byKind[layer.kind] }

  private static func whole(_ n: Int) -> SettingValue { .number(Double(n)) }

  private static let initializers = Initializer.allCases.map(\.rawValue)

  /// `l1:`, `l2:` and `init:`, shared by conv and dense.
  private static let weightSettings = [
    LayerSetting("l1", .number(0...1e6), default: .number(0), "L1 weight penalty added to the loss"),
    LayerSetting(
      "l2", .number(0...1e6), default: .number(0), "L2 weight penalty added to the loss (Keras' kernel_regularizer)"),
    LayerSetting(
      "init", .choice(initializers), default: .text("pytorch"), "\"pytorch\" (default) or \"glorot\" (Keras)"),
  ]

  private static func configureWeights<L: Regularized>(_ layer: L, _ s: LayerSettings) -> L {
    layer.l1 = s.float("l1")
    layer.l2 = s.float("l2")
    layer.initializer = Initializer(rawValue: s.text("init") ?? "") ?? .pytorch
    return layer
  }

  private static func weightValues(_ layer: Regularized) -> [String: SettingValue] {
    ["l1": .number(Double(layer.l1)), "l2": .number(Double(layer.l2)), "init": .text(layer.initializer.rawValue)]
  }

  static let conv = LayerKind(
    "conv", Conv2d.self,
    settings: [
      LayerSetting("filters", .whole(LayerBounds.channels), "number of output channels"),
      LayerSetting("kernel", .whole(LayerBounds.window), "kernel size (square)"),
      LayerSetting("stride", .whole(LayerBounds.stride), default: whole(1)),
      LayerSetting(
        "pad", .wholeOrChoice(LayerBounds.padding, ["same", "valid"]), default: whole(0),
        "zero padding on each side, or \"same\" (Keras: even kernels pad more at the bottom and right)"),
      LayerSetting("bias", .flag, default: .flag(true)),
    ] + weightSettings,
    summary: "2-D convolution: conv 6, 5, pad: 2.",
    make: { s in
      let same = s.text("pad") == "same"
      return configureWeights(
        try Conv2d(
          filters: s.int("filters"), kernel: s.int("kernel"), stride: s.int("stride"), padding: s.int("pad"),
          bias: s.flag("bias"), same: same), s)
    },
    read: { l in
      [
        "filters": whole(l.filters), "kernel": whole(l.window.kernel.0), "stride": whole(l.window.stride.0),
        "pad": l.samePadding ? .text("same") : whole(l.window.padding.0), "bias": .flag(l.useBias),
      ].merging(weightValues(l)) { $1 }
    })

  static let deconv = LayerKind(
    "deconv", ConvTranspose2d.self,
    settings: [
      LayerSetting("filters", .whole(LayerBounds.channels)),
      LayerSetting("kernel", .whole(LayerBounds.window)),
      LayerSetting("stride", .whole(LayerBounds.stride), default: whole(1)),
      LayerSetting("pad", .whole(LayerBounds.padding), default: whole(0)),
      LayerSetting("output_pad", .whole(LayerBounds.padding), default: whole(0), "extra rows and columns at the end"),
    ],
    summary: "Transposed convolution (upsampling): deconv 32, 3, stride: 2, pad: 1, output_pad: 1.",
    make: { s in
      try ConvTranspose2d(
        filters: s.int("filters"), kernel: s.int("kernel"), stride: s.int("stride"), padding: s.int("pad"),
        outputPadding: s.int("output_pad"))
    },
    read: { l in
      [
        "filters": whole(l.filters), "kernel": whole(l.kernel), "stride": whole(l.stride), "pad": whole(l.padding),
        "output_pad": whole(l.outputPadding),
      ]
    })

  private static func poolSettings(_ help: String) -> [LayerSetting] {
    [
      LayerSetting("kernel", .whole(LayerBounds.window), help),
      .optional("stride", .whole(LayerBounds.stride), "defaults to the kernel size"),
      LayerSetting("pad", .whole(LayerBounds.padding), default: whole(0)),
    ]
  }

  private static func windowValues(_ window: Window2D) -> [String: SettingValue] {
    ["kernel": whole(window.kernel.0), "stride": whole(window.stride.0), "pad": whole(window.padding.0)]
  }

  static let maxpool = LayerKind(
    "maxpool", MaxPool2d.self, settings: poolSettings("window size (square)"),
    summary: "Max pooling: maxpool 2, or maxpool 3, stride: 2.",
    make: { s in try MaxPool2d(kernel: s.int("kernel"), stride: s.optionalInt("stride"), padding: s.int("pad")) },
    read: { windowValues($0.window) })

  static let avgpool = LayerKind(
    "avgpool", AvgPool2d.self, settings: poolSettings("window size (square)"),
    summary: "Average pooling (padding counts in the mean, as PyTorch): avgpool 4, stride: 2, pad: 2.",
    make: { s in try AvgPool2d(kernel: s.int("kernel"), stride: s.optionalInt("stride"), padding: s.int("pad")) },
    read: { windowValues($0.window) })

  static let globalavgpool = LayerKind(
    "globalavgpool", GlobalAvgPool.self, summary: "The mean of each channel: (C, H, W) -> (C).",
    make: { _ in GlobalAvgPool() })

  static let dense = LayerKind(
    "dense", Linear.self,
    settings: [
      LayerSetting("units", .whole(LayerBounds.units), "number of outputs"),
      LayerSetting("bias", .flag, default: .flag(true)),
    ] + weightSettings,
    summary: "Fully connected layer over flat features: dense 120.",
    make: { s in configureWeights(try Linear(units: s.int("units"), bias: s.flag("bias")), s) },
    read: { l in ["units": whole(l.units), "bias": .flag(l.useBias)].merging(weightValues(l)) { $1 } })

  static let batchnorm = LayerKind(
    "bn", builtin: "batchnorm", BatchNorm.self,
    settings: [
      LayerSetting("momentum", .number(0...1), default: .number(0.1)),
      LayerSetting("eps", .number(0...1), default: .number(1e-5)),
    ],
    summary: "Batch normalisation after a conv or dense layer; running statistics in evaluation.",
    make: { s in BatchNorm(momentum: s.float("momentum"), epsilon: s.float("eps")) },
    read: { l in ["momentum": .number(Double(l.momentum)), "eps": .number(Double(l.epsilon))] })

  static let dropout = LayerKind(
    "dropout", Dropout.self, settings: [LayerSetting("p", .number(0...1), "the fraction dropped while training")],
    summary: "Dropout: zeroes a fraction p of values while training.",
    make: { s in try Dropout(s.float("p")) },
    read: { l in ["p": .number(Double(l.probability))] })

  private static let activationSummaries: [Activation.Function: String] = [
    .relu: "Rectified linear activation, max(x, 0).",
    .leakyrelu: "Leaky ReLU: x, or alpha·x below zero.",
    .elu: "ELU: x, or alpha·(eˣ - 1) below zero.",
    .gelu: "GELU, x·Φ(x) (exact, as PyTorch's default).",
    .tanh: "Hyperbolic tangent.",
    .sigmoid: "Logistic sigmoid, 1 / (1 + e⁻ˣ).",
    .softmax: "Softmax over features (fit applies its own; use for probability outputs).",
    .identity: "Passes its input through.",
  ]

  static let activations: [LayerKind] = Activation.Function.allCases.map { function in
    let alpha = Activation(function).alpha
    let slope = function == .leakyrelu || function == .elu
    return LayerKind(
      function.rawValue, Activation.self,
      settings: slope ? [LayerSetting("alpha", .number(-1e6...1e6), default: .number(Double(alpha)))] : [],
      summary: activationSummaries[function] ?? "",
      make: { s in Activation(function, alpha: slope ? s.float("alpha") : nil) },
      read: { l in slope ? ["alpha": .number(Double(l.alpha))] : [:] })
  }

  static let flatten = LayerKind(
    "flatten", Flatten.self, summary: "Flattens each sample to one feature vector.", make: { _ in Flatten() })

  static let reshape = LayerKind(
    "reshape", Reshape.self,
    settings: [
      LayerSetting(
        "shape", .wholes(-1...MemoryBudget.limit, counts: Set(1...8)), "per-sample shape; one entry may be -1")
    ],
    summary: "Reshapes each sample: reshape [64, 7, 7].",
    make: { s in Reshape(s.ints("shape")) },
    read: { l in ["shape": .wholes(l.shape)] })

  static let pad = LayerKind(
    "pad", ZeroPad.self,
    settings: [
      LayerSetting(
        "amount", .wholes(LayerBounds.padding, counts: [1, 4]), "pixels on every side, or [top, left, bottom, right]")
    ],
    summary: "Zero padding around each image: pad 2 turns 28x28 into 32x32.",
    make: { s in
      let p = s.ints("amount")
      return p.count == 1
        ? try ZeroPad(top: p[0], left: p[0], bottom: p[0], right: p[0])
        : try ZeroPad(top: p[0], left: p[1], bottom: p[2], right: p[3])
    },
    read: { l in ["amount": .wholes([l.amounts.top, l.amounts.left, l.amounts.bottom, l.amounts.right])] })

  static let resize = LayerKind(
    "resize", Resize.self,
    settings: [LayerSetting("size", .wholes(LayerBounds.side, counts: [1, 2]), "a side length, or [height, width]")],
    summary: "Bilinear resize of each image: resize 32, or resize [224, 224].",
    make: { s in
      let size = s.ints("size")
      return try Resize(height: size[0], width: size.count == 2 ? size[1] : size[0])
    },
    read: { l in ["size": .wholes([l.height, l.width])] })

  private static func numbers(_ items: [Float]) -> SettingValue { .list(items.map { .number(Double($0)) }) }

  static let greyToRGB = LayerKind(
    "grey_to_rgb", GreyToRGB.self,
    settings: [
      LayerSetting("mean", .numbers(counts: [3]), default: numbers(GreyToRGB.imagenetMean)),
      LayerSetting("std", .numbers(counts: [3]), default: numbers(GreyToRGB.imagenetStd)),
    ],
    summary: "Copies grey images to 3 channels and normalises each: (x - mean[c]) / std[c], ImageNet's by default.",
    help: "The input of an ImageNet-trained net: model { resize 224; grey_to_rgb; … } as resnet18(small: false) does.",
    make: { s in try GreyToRGB(mean: s.floats("mean"), std: s.floats("std")) },
    read: { l in ["mean": numbers(l.mean), "std": numbers(l.std)] })

  private static func layerList(_ layers: [Layer]) -> SettingValue { .list(layers.map { .layer($0) }) }

  static let residual = LayerKind(
    "residual", Residual.self,
    settings: [
      LayerSetting("layers", .layers, "the block's layers, as a list or a { … } block"),
      LayerSetting(
        "act", .choice(["none"] + Activation.Function.allCases.map(\.rawValue)), default: .text("none"),
        "an activation applied after the sum, e.g. \"relu\""),
    ],
    summary:
      "A residual block: residual(act: \"relu\") { conv 64, 3, pad: 1; batchnorm; relu; conv 64, 3, pad: 1; batchnorm }.",
    help:
      "The block's output is added to its input, then `act` applies (ResNet's blocks end with relu); when the shapes differ, a 1x1 convolution with batch norm projects the input. Parameter names follow torchvision's BasicBlock: conv1.weight, bn1.weight, downsample.0.weight.",
    make: { s in
      try Residual(
        s.layers("layers"), activation: Activation.Function(rawValue: s.text("act") ?? "").map { Activation($0) })
    },
    read: { l in ["layers": layerList(l.body.layers), "act": .text(l.activation?.kind ?? "none")] })

  private static let inputShape = LayerSetting.optional(
    "input", .wholes(LayerBounds.inputDimension, counts: Set(1...8)),
    "per-sample input shape, e.g. [1, 28, 28]; else inferred at the first fit")

  static let model = LayerKind(
    "model", Sequential.self,
    settings: [LayerSetting("layers", .layers, "a list of layers, or a { … } block"), inputShape],
    summary: "A sequential model from a block of layers: model { conv 6, 5; relu; … }.",
    help:
      "model(input: [1, 28, 28]) { conv 6, 5, pad: 2; relu; maxpool 2; flatten; dense 10 }, or model([flatten(), dense(10)]). Models nest as layers.",
    make: { s in
      let model = try Sequential(s.layers("layers"))
      if s.has("input") { try model.build(inputShape: s.ints("input"), rng: s.rng) }
      return model
    },
    read: { l in
      var values = ["layers": layerList(l.layers)]
      if let input = l.inputShape { values["input"] = .wholes(input) }
      return values
    })

  static let vae = LayerKind(
    "vae", VAE.self,
    settings: [
      LayerSetting("encoder", .model, "images -> flat features"),
      LayerSetting("decoder", .model, "latent code -> images"),
      LayerSetting("latent", .whole(LayerBounds.latent), "size of the latent code"),
      inputShape,
    ],
    summary: "A variational autoencoder; calling it gives {recon, mu, logvar}.",
    help:
      "Dense heads map the encoder's features to mu and logvar; z = mu + exp(logvar/2)·eps feeds the decoder while training (z = mu in evaluation).",
    make: { s in
      guard let encoder = s.model("encoder"), let decoder = s.model("decoder") else {
        throw LayerError(layer: "vae", "encoder and decoder must be models")
      }
      let vae = try VAE(encoder: encoder, decoder: decoder, latent: s.int("latent"))
      if s.has("input") { _ = try vae.build(inputShape: s.ints("input"), rng: s.rng) }
      return vae
    },
    read: { l in ["encoder": .layer(l.encoder), "decoder": .layer(l.decoder), "latent": whole(l.latent)] })
}
