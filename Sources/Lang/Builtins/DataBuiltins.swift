import Data

let dataBuiltins: [Builtin] = [
  Builtin(
    "fashion_mnist", family: "data",
    parameters: [
      Parameter("dir", default: .none, type: "string", "folder of the four IDX files; default $ATELIER_DATA or the Debian package's")
    ],
    summary: "Loads Fashion-MNIST as {train, test, classes}, pixels scaled to [0, 1]."
  ) { args, _ in
    let dir = args.has("dir") ? try args.string("dir") : nil
    let (train, test) = try FashionMNIST.load(directory: dir)
    return .record(
      Record([
        ("train", .dataset(train)), ("test", .dataset(test)),
        ("classes", .list(FashionMNIST.classes.map { .string($0) })),
      ]))
  }
]
