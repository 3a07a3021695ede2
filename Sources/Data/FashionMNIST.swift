import Foundation

/// The Fashion-MNIST data set from Debian's `dataset-fashion-mnist` or `$ATELIER_DATA`.
public enum FashionMNIST {
  public static let classes = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
  ]
  public static let systemDirectory = "/usr/share/datasets/fashion-mnist"

  public static var defaultDirectory: String {
    ProcessInfo.processInfo.environment["ATELIER_DATA"] ?? systemDirectory
  }

  public static func load(directory: String? = nil) throws -> (train: Dataset, test: Dataset) {
    let dir = directory ?? defaultDirectory
    let trainImages = "\(dir)/train-images-idx3-ubyte.gz"
    guard FileManager.default.fileExists(atPath: trainImages) else {
      throw DataError(
        path: dir, problem: "holds no Fashion-MNIST files (train-images-idx3-ubyte.gz)",
        hint:
          "install them with `sudo apt-get install dataset-fashion-mnist` (or run `make setup`), or point $ATELIER_DATA at a folder holding the four IDX files"
      )
    }
    let train = try Dataset.fromIDX(
      images: trainImages, labels: "\(dir)/train-labels-idx1-ubyte.gz", classes: classes, name: "train")
    let test = try Dataset.fromIDX(
      images: "\(dir)/t10k-images-idx3-ubyte.gz", labels: "\(dir)/t10k-labels-idx1-ubyte.gz",
      classes: classes, name: "test")
    return (train, test)
  }
}
