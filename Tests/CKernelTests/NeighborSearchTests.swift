import CKernel
import Foundation
import Testing

@Suite struct NeighborSearchTests {
  /// Points on a few noisy clusters in 20 dimensions.
  static func points(_ n: Int, _ d: Int) -> [Float] {
    var rng = atl_rng()
    atl_rng_seed(&rng, 3)
    var x = [Float](repeating: 0, count: n * d)
    atl_rng_normal(&rng, &x, Int64(n * d), 0, 1)
    for i in 0..<n { x[i * d + i % 7] += 6 }
    return x
  }

  @Test func exactRowsAreSortedAndLeaveThePointOut() {
    let (n, d, k) = (300, 20, 10)
    let x = Self.points(n, d)
    var index = [Int32](repeating: 0, count: n * k), distance = [Float](repeating: 0, count: n * k)
    #expect(atl_knn(x, Int64(n), x, Int64(n), Int64(d), Int32(k), 1, &index, &distance) == 0)
    for i in 0..<n {
      let truth = (0..<n).filter { $0 != i }.map { j in
        (j, (0..<d).map { (x[i * d + $0] - x[j * d + $0]) * (x[i * d + $0] - x[j * d + $0]) }.reduce(0, +))
      }.sorted { $0.1 < $1.1 }.prefix(k)
      #expect(Set(index[(i * k)..<(i * k + k)].map(Int.init)) == Set(truth.map(\.0)))
      for q in 1..<k { #expect(distance[i * k + q - 1] <= distance[i * k + q]) }
      #expect(!index[(i * k)..<(i * k + k)].contains(Int32(i)))
    }
    #expect(atl_knn(x, Int64(n), x, Int64(n), Int64(d), Int32(n), 1, &index, &distance) == -1)
  }

  @Test func approximateSearchFindsNearlyAllOfTheExactNeighboursAndRepeats() {
    let (n, d, k) = (4_000, 20, 15)
    let x = Self.points(n, d)
    var exact = [Int32](repeating: 0, count: n * k), approx = exact, again = exact
    var distance = [Float](repeating: 0, count: n * k), approxDistance = distance
    #expect(atl_knn(x, Int64(n), x, Int64(n), Int64(d), Int32(k), 1, &exact, &distance) == 0)
    #expect(atl_knn_approx(x, Int64(n), Int64(d), Int32(k), 5, &approx, &approxDistance) == 0)
    var found = 0
    for i in 0..<n {
      let truth = Set(exact[(i * k)..<(i * k + k)])
      found += approx[(i * k)..<(i * k + k)].filter { truth.contains($0) }.count
      #expect(!approx[(i * k)..<(i * k + k)].contains(Int32(i)))
      for q in 1..<k { #expect(approxDistance[i * k + q - 1] <= approxDistance[i * k + q]) }
    }
    #expect(Double(found) / Double(n * k) >= 0.98)
    #expect(atl_knn_approx(x, Int64(n), Int64(d), Int32(k), 5, &again, &approxDistance) == 0)
    #expect(again == approx)
    // Duplicated points: every split puts them on one side.
    let same = [Float](repeating: 1, count: 200 * 4)
    var index = [Int32](repeating: 0, count: 200 * 5)
    var dist = [Float](repeating: 0, count: 200 * 5)
    #expect(atl_knn_approx(same, 200, 4, 5, 1, &index, &dist) == 0)
    #expect(index.allSatisfy { $0 >= 0 && $0 < 200 } && dist.allSatisfy { $0 == 0 })
  }
}
