import CKernel
import Foundation
import Testing

@Suite struct UMAPKernelTests {
  /// Six points on a line, k = 3 (each point and its two nearest): rho is the nearest
  /// distance, and the bandwidth solves 1 + exp(-(d2 - rho) / sigma) = log2(3), so the
  /// second neighbour's membership is log2(3) - 1 whatever the distances.
  @Test func fuzzyGraphOfPointsOnALineMatchesTheHandComputation() throws {
    let x: [Float] = [0, 1, 3, 7, 12, 20]
    let n = x.count
    let nearest = (0..<n).map { i in (0..<n).filter { $0 != i }.sorted { abs(x[$0] - x[i]) < abs(x[$1] - x[i]) } }
    let target = log2(3.0)
    var expectedSigma: [Double] = [], expectedRho: [Double] = []
    var w = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for i in 0..<n {
      let (first, second) = (nearest[i][0], nearest[i][1])
      let (d1, d2) = (Double(abs(x[first] - x[i])), Double(abs(x[second] - x[i])))
      expectedRho.append(d1)
      expectedSigma.append((d2 - d1) / -log(target - 1))
      w[i][first] = 1
      w[i][second] = target - 1
    }
    // umap-learn's rows: the point itself first, at distance 0.
    var distance: [Float] = [], index: [Int32] = []
    for i in 0..<n {
      index += [Int32(i), Int32(nearest[i][0]), Int32(nearest[i][1])]
      distance += [0, abs(x[nearest[i][0]] - x[i]), abs(x[nearest[i][1]] - x[i])]
    }
    var sigma = [Float](repeating: 0, count: n), rho = [Float](repeating: 0, count: n)
    atl_umap_smooth_knn(distance, Int64(n), 3, 1, &sigma, &rho)
    for i in 0..<n {
      #expect(abs(Double(rho[i]) - expectedRho[i]) < 1e-6)
      #expect(abs(Double(sigma[i]) - expectedSigma[i]) / expectedSigma[i] < 1e-4, "sigma \(i)")
    }
    var graph = atl_umap_graph()
    #expect(atl_umap_fuzzy_graph(x, Int64(n), 1, 3, 0, 0, 0, &graph) == 0)
    defer { atl_umap_graph_free(&graph) }
    var dense = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for i in 0..<n {
      var previous = -1
      for e in Int(graph.row_start[i])..<Int(graph.row_start[i + 1]) {
        let j = Int(graph.column[e])
        #expect(j > previous, "row \(i) sorted by column")
        previous = j
        dense[i][j] = Double(graph.weight[e])
      }
    }
    for i in 0..<n {
      for j in 0..<n {
        let union = w[i][j] + w[j][i] - w[i][j] * w[j][i]
        #expect(abs(dense[i][j] - union) < 1e-5, "(\(i), \(j)): \(dense[i][j]) against \(union)")
      }
    }
  }

  /// umap-learn's find_ab_params (scipy's curve_fit) gives a = 1.5769, b = 0.8951 for the
  /// defaults, and a = 0.5830, b = 1.3342 for min_dist 0.5.
  @Test func curveParametersMatchUmapLearn() {
    var a = 0.0, b = 0.0
    #expect(atl_umap_find_ab(1, 0.1, &a, &b) == 0)
    #expect(abs(a - 1.577) < 1e-3 && abs(b - 0.895) < 1e-3, "a \(a) b \(b)")
    #expect(atl_umap_find_ab(1, 0.5, &a, &b) == 0)
    #expect(abs(a - 0.583) < 1e-3 && abs(b - 1.334) < 1e-3, "a \(a) b \(b)")
  }

  /// A CSR graph from symmetric (i, j, w) edges.
  final class Graph {
    var rowStart: [Int64], column: [Int32] = [], weight: [Float] = []
    let n: Int
    init(n: Int, edges: [(Int, Int, Float)]) {
      self.n = n
      var rows = [[(Int32, Float)]](repeating: [], count: n)
      for (i, j, w) in edges {
        rows[i].append((Int32(j), w))
        rows[j].append((Int32(i), w))
      }
      rowStart = [0]
      for row in rows {
        for (j, w) in row.sorted(by: { $0.0 < $1.0 }) {
          column.append(j)
          weight.append(w)
        }
        rowStart.append(Int64(column.count))
      }
    }

    func spectral(dims: Int) -> (status: Int32, vectors: [Double], values: [Double]) {
      var vectors = [Double](repeating: 0, count: n * dims), values = [Double](repeating: 0, count: dims)
      let status = rowStart.withUnsafeMutableBufferPointer { r in
        column.withUnsafeMutableBufferPointer { c in
          weight.withUnsafeMutableBufferPointer { w in
            var g = atl_umap_graph(
              n: Int64(n), nnz: Int64(c.count), row_start: r.baseAddress, column: c.baseAddress, weight: w.baseAddress)
            return atl_umap_spectral(&g, Int32(dims), 1, &vectors, &values)
          }
        }
      }
      return (status, vectors, values)
    }

    /// |L v - lambda v| for L = I - D^-1/2 W D^-1/2.
    func residual(_ v: [Double], _ lambda: Double) -> Double {
      let degree = (0..<n).map { i in (Int(rowStart[i])..<Int(rowStart[i + 1])).reduce(0.0) { $0 + Double(weight[$1]) }
      }
      var sum = 0.0
      for i in 0..<n {
        var mv = 0.0
        for e in Int(rowStart[i])..<Int(rowStart[i + 1]) {
          let j = Int(column[e])
          mv += Double(weight[e]) * v[j] / (degree[i] * degree[j]).squareRoot()
        }
        let r = v[i] - mv - lambda * v[i]
        sum += r * r
      }
      return sum.squareRoot()
    }
  }

  /// The path graph's normalised Laplacian has eigenvalues 1 - cos(pi k / (n - 1)).
  @Test func spectralStartOfAPathIsItsLaplaciansEigenvectors() {
    let n = 10
    let path = Graph(n: n, edges: (0..<(n - 1)).map { ($0, $0 + 1, 1) })
    let (status, vectors, values) = path.spectral(dims: 2)
    #expect(status == 0)
    for c in 0..<2 {
      #expect(abs(values[c] - (1 - cos(Double.pi * Double(c + 1) / Double(n - 1)))) < 1e-6)
      let v = (0..<n).map { vectors[$0 * 2 + c] }
      #expect(abs(v.reduce(0) { $0 + $1 * $1 } - 1) < 1e-9)
      #expect(path.residual(v, values[c]) < 1e-4)
    }
  }

  @Test func spectralStartOfAWeightedGraphSatisfiesTheEigenEquation() {
    // A ring of 40 with chords, weights from a fixed sequence.
    var edges: [(Int, Int, Float)] = []
    for i in 0..<40 {
      edges.append((i, (i + 1) % 40, Float(0.3 + 0.7 * Double((i * 37) % 11) / 10)))
      if i % 3 == 0 { edges.append((i, (i + 7) % 40, Float(0.2 + 0.1 * Double(i % 5)))) }
    }
    let graph = Graph(n: 40, edges: edges)
    let (status, vectors, values) = graph.spectral(dims: 3)
    #expect(status == 0)
    #expect(values[0] > 1e-6 && values[0] <= values[1] && values[1] <= values[2])
    for c in 0..<3 {
      let v = (0..<40).map { vectors[$0 * 3 + c] }
      #expect(graph.residual(v, values[c]) < 1e-4, "eigenvector \(c)")
    }
  }

  @Test func aDisconnectedGraphIsNotGivenASpectralStart() {
    let twoPieces = Graph(n: 8, edges: [(0, 1, 1), (1, 2, 1), (2, 3, 1), (4, 5, 1), (5, 6, 1), (6, 7, 1)])
    #expect(twoPieces.spectral(dims: 2).status == ATL_UMAP_DISCONNECTED)
  }
}
