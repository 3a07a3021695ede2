import CKernel
import Data
import Foundation
import NN
import Tensor

/// A square matrix with class names on both axes: a confusion matrix (counts) or a
/// class-correlation matrix.
public struct ClassMatrix {
  public enum Kind { case confusion, correlation }
  public let kind: Kind
  public let values: [[Double]]
  public let classes: [String]
  public let title: String
  /// Confusion rows shown as rates (each row sums to 1).
  public let normalized: Bool
  /// For a confusion matrix of a model on a dataset: the images and what the model
  /// predicted for each, so that a cell's images can be looked at (`examples`).
  public var source: (data: Dataset, predicted: [Int32])?

  public init(kind: Kind, values: [[Double]], classes: [String], title: String, normalized: Bool = false) {
    self.kind = kind
    self.values = values
    self.classes = classes
    self.title = title
    self.normalized = normalized
  }
}

/// Confusion matrix: rows are true classes, columns predictions (scikit-learn's layout).
public func confusion(predicted: [Int32], truth: [Int32], classes: [String], normalize: Bool = false) throws
  -> ClassMatrix
{
  guard predicted.count == truth.count else {
    throw TensorError("confusion: \(predicted.count) predictions for \(truth.count) labels")
  }
  let c = classes.count
  var counts = [[Double]](repeating: [Double](repeating: 0, count: c), count: c)
  for (p, t) in zip(predicted, truth) {
    guard p >= 0, t >= 0, Int(p) < c, Int(t) < c else {
      throw TensorError("confusion: label \(max(p, t)) outside the \(c) classes")
    }
    counts[Int(t)][Int(p)] += 1
  }
  if normalize {
    counts = counts.map { row in
      let total = row.reduce(0, +)
      return row.map { total > 0 ? $0 / total : 0 }
    }
  }
  return ClassMatrix(
    kind: .confusion, values: counts, classes: classes, title: "Confusion matrix", normalized: normalize)
}

/// scikit-learn's classification_report: per class precision, recall, F1 and support,
/// then accuracy and the macro and support-weighted averages.
public struct ClassificationReport {
  public struct Row {
    public let name: String
    public let precision: Double
    public let recall: Double
    public let f1: Double
    public let support: Int
  }

  public let rows: [Row]
  public let accuracy: Double
  public let macro: Row
  public let weighted: Row

  public init(predicted: [Int32], truth: [Int32], classes: [String]) throws {
    let matrix = try confusion(predicted: predicted, truth: truth, classes: classes).values
    let c = classes.count
    var rows: [Row] = []
    for k in 0..<c {
      let tp = matrix[k][k]
      let predictedK = (0..<c).reduce(0.0) { $0 + matrix[$1][k] }
      let support = matrix[k].reduce(0, +)
      // scikit-learn reports 0 where a ratio is undefined (zero_division=0 with a warning).
      let precision = predictedK > 0 ? tp / predictedK : 0
      let recall = support > 0 ? tp / support : 0
      let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
      rows.append(Row(name: classes[k], precision: precision, recall: recall, f1: f1, support: Int(support)))
    }
    let total = Double(truth.count)
    self.rows = rows
    accuracy = total > 0 ? (0..<c).reduce(0.0) { $0 + matrix[$1][$1] } / total : 0
    func average(_ weights: [Double]) -> (Double, Double, Double) {
      let sum = weights.reduce(0, +)
      guard sum > 0 else { return (0, 0, 0) }
      return (
        zip(rows, weights).reduce(0.0) { $0 + $1.0.precision * $1.1 } / sum,
        zip(rows, weights).reduce(0.0) { $0 + $1.0.recall * $1.1 } / sum,
        zip(rows, weights).reduce(0.0) { $0 + $1.0.f1 * $1.1 } / sum
      )
    }
    let m = average([Double](repeating: 1, count: c)), w = average(rows.map { Double($0.support) })
    macro = Row(name: "macro avg", precision: m.0, recall: m.1, f1: m.2, support: truth.count)
    weighted = Row(name: "weighted avg", precision: w.0, recall: w.1, f1: w.2, support: truth.count)
  }
}

/// The mean Pearson correlation between the activations (at `layer`) of images of
/// class i and images of class j, over the first `perClass` images of each class;
/// on the diagonal an image is not paired with itself.
public func classCorrelation(_ model: Sequential, _ data: Dataset, at layer: String, perClass: Int) throws
  -> ClassMatrix
{
  let c = data.classes.count
  var picked: [Int] = []
  var owner: [Int] = []
  for k in 0..<c {
    let members = data.labels.enumerated().filter { Int($0.element) == k }.map(\.offset).prefix(perClass)
    picked += members
    owner += Array(repeating: k, count: members.count)
  }
  let subset = try data.subset(picked)
  let f = try features(model, subset, at: layer).points
  let (n, d) = (f.shape[0], f.shape[1])
  // Standardise each image's activation vector; the correlation is then a dot product / d.
  let standardized = Tensor(uninitialized: [n, d])
  atl_standardize_rows(f.data, Int64(n), Int64(d), standardized.data)
  let corr = Tensor(uninitialized: [n, n])
  atl_sgemm(
    0, 1, Int64(n), Int64(n), Int64(d), 1 / Float(d), standardized.data, Int64(d), standardized.data, Int64(d), 0,
    corr.data, Int64(n))
  var sums = [[Double]](repeating: [Double](repeating: 0, count: c), count: c)
  var counts = sums
  for a in 0..<n {
    for b in 0..<n where a != b {
      sums[owner[a]][owner[b]] += Double(corr[flat: a * n + b])
      counts[owner[a]][owner[b]] += 1
    }
  }
  let values = (0..<c).map { i in (0..<c).map { j in counts[i][j] > 0 ? sums[i][j] / counts[i][j] : .nan } }
  return ClassMatrix(kind: .correlation, values: values, classes: data.classes, title: "Class correlation at \(layer)")
}
