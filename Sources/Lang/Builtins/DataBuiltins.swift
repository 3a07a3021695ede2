import Data
import Foundation

private func seed(_ args: Arguments) throws -> UInt64 {
  UInt64(bitPattern: Int64(try args.int("seed", in: Arguments.seeds)))
}

let dataBuiltins: [Builtin] = [
  Builtin(
    "fashion_mnist", family: "data",
    parameters: [
      Parameter(
        "dir", default: .none, type: .string,
        "folder of the four IDX files; default $ATELIER_DATA or the Debian package's")
    ],
    summary: "Loads Fashion-MNIST as {train, test, classes}, pixels scaled to [0, 1]."
  ) { args, context in
    let dir = args.has("dir") ? context.resolve(try args.string("dir")) : nil
    let (train, test) = try FashionMNIST.load(directory: dir)
    return .record(
      Record([
        ("train", .dataset(train)), ("test", .dataset(test)),
        ("classes", .list(FashionMNIST.classes.map { .string($0) })),
      ]))
  },
  Builtin(
    "idx", family: "data",
    parameters: [
      Parameter("dir", type: .string, "a folder with train-/t10k- images and labels IDX files (gzipped or not)"),
      Parameter("classes", default: .none, type: .list),
    ],
    summary: "Loads any IDX data set laid out like MNIST as {train, test, classes}."
  ) { args, context in
    let dir = context.resolve(try args.string("dir"))
    let classes = args.has("classes") ? try args.list("classes").map { Printer.show($0) } : (0..<10).map(String.init)
    func file(_ stem: String) -> String {
      let plain = "\(dir)/\(stem)"
      return FileManager.default.fileExists(atPath: plain + ".gz") ? plain + ".gz" : plain
    }
    let train = try Dataset.fromIDX(
      images: file("train-images-idx3-ubyte"), labels: file("train-labels-idx1-ubyte"), classes: classes, name: "train")
    let test = try Dataset.fromIDX(
      images: file("t10k-images-idx3-ubyte"), labels: file("t10k-labels-idx1-ubyte"), classes: classes, name: "test")
    return .record(
      Record([("train", .dataset(train)), ("test", .dataset(test)), ("classes", .list(classes.map { .string($0) }))]))
  },
  Builtin(
    "split", family: "data",
    parameters: [
      Parameter("data", type: .dataset),
      Parameter("held", type: .number, "a fraction (0.1) or a count (5000) to hold out"),
      Parameter("stratify", default: .bool(true), "keep each class's share in both parts"),
      Parameter("seed", default: .number(1)),
    ],
    summary: "Splits a dataset into [rest, held]: train, val = split(data.train, 0.1)."
  ) { args, _ in
    let data = try requireDataset(args["data"], "split", "data")
    let (rest, held) = try data.split(
      held: try args.number("held"), stratify: try args.bool("stratify"), seed: try seed(args))
    return .list([.dataset(rest), .dataset(held)])
  },
  Builtin(
    "kfold", family: "data",
    parameters: [
      Parameter("data", type: .dataset), Parameter("k", default: .number(5), whole: 2...1_000_000),
      Parameter("stratify", default: .bool(true)), Parameter("seed", default: .number(1)),
    ],
    summary: "k folds as [train, validation] pairs: for tr, va in kfold(data.train, 5) { … }."
  ) { args, _ in
    let data = try requireDataset(args["data"], "kfold", "data")
    return .list(
      try data.folds(try args.int("k"), stratify: try args.bool("stratify"), seed: try seed(args))
        .map {
          .list([.dataset($0.train), .dataset($0.validation)])
        })
  },
  Builtin(
    "subset", family: "data",
    parameters: [
      Parameter("data", type: .dataset),
      Parameter("pick", type: .any, whole: 0...Arguments.maxCount, "a count (the first n) or a list of indices"),
    ],
    summary: "Part of a dataset: subset(data.train, 1000) or subset(data.test, [3, 7])."
  ) { args, _ in
    let data = try requireDataset(args["data"], "subset", "data")
    let indices: [Int]
    switch args["pick"] {
    case .number: indices = Array(0..<min(try args.int("pick"), data.count))
    case .list: indices = try wholeNumbers(args["pick"], "subset", "pick")
    default: throw AtelierError("subset: pick must be a count or a list of indices")
    }
    guard indices.allSatisfy({ $0 >= 0 && $0 < data.count }) else {
      throw AtelierError("subset: an index is outside the \(data.count) images")
    }
    return .dataset(try data.subset(indices))
  },
  Builtin(
    "concat", family: "data", parameters: [Parameter("a", type: .dataset), Parameter("b", type: .dataset)],
    summary: "Two datasets one after the other."
  ) { args, _ in
    .dataset(
      try Dataset.concatenate([
        try requireDataset(args["a"], "concat", "a"), try requireDataset(args["b"], "concat", "b"),
      ]))
  },
  Builtin(
    "normalize", family: "data",
    parameters: [
      Parameter("data", type: .dataset), Parameter("mean", default: .none, type: .any),
      Parameter("std", default: .none, type: .any),
    ],
    summary: "(x - mean) / std per channel; computed from the data unless given.",
    help:
      "train = normalize(data.train); test = normalize(data.test, mean: train_stats.mean, std: train_stats.std) — use stats(data.train) for the numbers."
  ) { args, _ in
    let data = try requireDataset(args["data"], "normalize", "data")
    let computed = data.channelStatistics()
    let mean = args.has("mean") ? try numbers(args["mean"], "normalize").map(Float.init) : computed.mean
    let std = args.has("std") ? try numbers(args["std"], "normalize").map(Float.init) : computed.std
    return .dataset(try data.normalized(mean: mean, std: std))
  },
  Builtin(
    "stats", family: "data", parameters: [Parameter("data", type: .dataset)],
    summary: "Per-channel {mean, std} of a dataset's images."
  ) { args, _ in
    let (mean, std) = try requireDataset(args["data"], "stats", "data").channelStatistics()
    return .record(
      Record([("mean", .list(mean.map { .number(Double($0)) })), ("std", .list(std.map { .number(Double($0)) }))]))
  },
  Builtin(
    "augment", family: "data",
    parameters: [
      Parameter("data", type: .dataset), Parameter("flip", default: .bool(true), "random horizontal flips"),
      Parameter("crop", default: .number(0), whole: 0...1024, "random crops from a border of this many zero pixels"),
      Parameter("seed", default: .number(1)),
    ],
    summary: "A randomly flipped and cropped copy; call it each epoch with another seed for fresh samples."
  ) { args, _ in
    .dataset(
      try requireDataset(args["data"], "augment", "data").augmented(
        flip: try args.bool("flip"), pad: try args.int("crop"), seed: try seed(args)))
  },
]
