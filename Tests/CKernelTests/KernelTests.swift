import CKernel
import Foundation
import Testing

@Suite struct ThreadPoolTests {
  final class Hits { var counts: [Int32] = Array(repeating: 0, count: 10_000) }

  @Test func parallelForVisitsEveryIndexOnce() {
    let hits = Hits()
    hits.counts.withUnsafeMutableBufferPointer { buffer in
      atl_parallel_for(
        Int64(buffer.count), 1,
        { ctx, begin, end, _ in
          let p = ctx!.assumingMemoryBound(to: Int32.self)
          for i in begin..<end { p[Int(i)] += 1 }
        }, buffer.baseAddress)
    }
    #expect(hits.counts.allSatisfy { $0 == 1 })
    #expect(atl_threads() >= 1)
  }
}

@Suite struct ConvKernelTests {
  struct Case: CustomStringConvertible {
    let n, c, h, w, k, r, s, stride, pad: Int
    var description: String { "N\(n) C\(c) \(h)x\(w) K\(k) \(r)x\(s) stride \(stride) pad \(pad)" }
  }

  static let cases = [
    Case(n: 3, c: 1, h: 12, w: 12, k: 6, r: 5, s: 5, stride: 1, pad: 2),
    Case(n: 2, c: 6, h: 9, w: 11, k: 4, r: 3, s: 3, stride: 2, pad: 1),
    Case(n: 4, c: 3, h: 7, w: 7, k: 5, r: 1, s: 1, stride: 1, pad: 0),
    Case(n: 2, c: 2, h: 8, w: 6, k: 3, r: 4, s: 2, stride: 3, pad: 0),
    // 1x1 images, batch 1, channel counts that are not whole blocks of 8 or 16
    Case(n: 1, c: 5, h: 1, w: 1, k: 7, r: 1, s: 1, stride: 1, pad: 0),
    Case(n: 1, c: 3, h: 1, w: 1, k: 9, r: 3, s: 3, stride: 1, pad: 1),
    Case(n: 3, c: 17, h: 13, w: 9, k: 19, r: 3, s: 3, stride: 2, pad: 1),
    Case(n: 2, c: 9, h: 11, w: 11, k: 24, r: 4, s: 4, stride: 1, pad: 2),
    Case(n: 2, c: 1, h: 15, w: 15, k: 33, r: 5, s: 5, stride: 2, pad: 2),
    Case(n: 2, c: 40, h: 7, w: 5, k: 12, r: 1, s: 1, stride: 2, pad: 0),
    // whole blocks of 16 channels, 3x3 stride 1: oneDNN's Winograd path
    Case(n: 3, c: 32, h: 10, w: 9, k: 16, r: 3, s: 3, stride: 1, pad: 1),
    Case(n: 2, c: 16, h: 6, w: 6, k: 48, r: 3, s: 3, stride: 1, pad: 0),
    // Winograd's 4x4 and 6x6 tiles: outputs that are no whole number of tiles, pad 0
    // and 2, channels that fill no register block, more tiles than one block holds
    Case(n: 1, c: 7, h: 5, w: 13, k: 10, r: 3, s: 3, stride: 1, pad: 2),
    Case(n: 5, c: 20, h: 9, w: 7, k: 13, r: 3, s: 3, stride: 1, pad: 0),
    Case(n: 2, c: 33, h: 17, w: 23, k: 31, r: 3, s: 3, stride: 1, pad: 1),
    Case(n: 9, c: 2, h: 3, w: 3, k: 1, r: 3, s: 3, stride: 1, pad: 1),
    // maps the 6x6 tiles run by themselves: AlexNet's 6x6, over more images than one
    // weight-gradient block holds, and 12x12
    Case(n: 70, c: 19, h: 6, w: 6, k: 14, r: 3, s: 3, stride: 1, pad: 1),
    Case(n: 3, c: 10, h: 12, w: 12, k: 8, r: 3, s: 3, stride: 1, pad: 1),
    // the direct kernel's register blocks: output channels filling one to four
    // vectors and more, rows that end inside a block of pixels, taps past a block
    Case(n: 3, c: 1, h: 28, w: 28, k: 32, r: 3, s: 3, stride: 1, pad: 1),
    Case(n: 2, c: 3, h: 13, w: 17, k: 20, r: 5, s: 5, stride: 2, pad: 2),
    Case(n: 5, c: 1, h: 11, w: 7, k: 44, r: 2, s: 3, stride: 1, pad: 1),
    Case(n: 1, c: 4, h: 9, w: 30, k: 14, r: 7, s: 7, stride: 3, pad: 3),
    // rows of several 16-column blocks (AVX-512) for every block shape
    Case(n: 1, c: 3, h: 8, w: 100, k: 8, r: 3, s: 3, stride: 1, pad: 1),
  ]

  static let engines: [Int32] = [
    Int32(ATL_CONV_IM2COL), Int32(ATL_CONV_DNNL), Int32(ATL_CONV_WINOGRAD), Int32(ATL_CONV_DIRECT),
  ]

  func shape(_ t: Case) -> atl_conv_shape {
    var s = atl_conv_shape(
      N: Int32(t.n), C: Int32(t.c), H: Int32(t.h), W: Int32(t.w), K: Int32(t.k), R: Int32(t.r), S: Int32(t.s),
      stride_h: Int32(t.stride), stride_w: Int32(t.stride), pad_h: Int32(t.pad), pad_w: Int32(t.pad), P: 0, Q: 0)
    #expect(atl_conv_output(&s) == 0)
    return s
  }

  /// The engine a case runs on: oneDNN must take every shape here, or the test says so;
  /// Winograd takes the 3x3 stride-1 shapes, oneDNN the others; the direct kernel takes all.
  func engine(_ requested: Int32, _ s: inout atl_conv_shape, bias: Bool) -> Int32 {
    if requested == Int32(ATL_CONV_DIRECT) {
      #expect(atl_conv_direct_supports(&s) != 0, "the direct kernel refused \(s)")
      return requested
    }
    if requested == Int32(ATL_CONV_WINOGRAD) {
      let threeByThree = s.R == 3 && s.S == 3 && s.stride_h == 1 && s.stride_w == 1
      #expect(atl_conv_winograd_supports(&s) != 0 || !threeByThree, "Winograd refused \(s)")
      return atl_conv_winograd_supports(&s) != 0 ? requested : engine(Int32(ATL_CONV_DNNL), &s, bias: bias)
    }
    let chosen =
      requested == Int32(ATL_CONV_DNNL) && atl_conv_dnnl_supports(&s, bias ? 1 : 0) != 0
      ? requested : Int32(ATL_CONV_IM2COL)
    #expect(chosen == requested, "oneDNN refused \(s)")
    return chosen
  }

  // Winograd's transforms round more than a direct sum does.
  let tolerance: Float = 2e-5

  @Test(arguments: cases, engines) func forwardMatchesReference(_ t: Case, _ requested: Int32) {
    var s = shape(t)
    let x = randomArray(t.n * t.c * t.h * t.w, seed: 1), w = randomArray(t.k * t.c * t.r * t.s, seed: 2)
    let b = randomArray(t.k, seed: 3)
    let expected = Reference.conv2d(
      x, w, b, n: t.n, c: t.c, h: t.h, wd: t.w, k: t.k, r: t.r, s: t.s, stride: t.stride, pad: t.pad)
    #expect(Int(s.P) == expected.p && Int(s.Q) == expected.q)
    var out = [Float](repeating: .nan, count: expected.out.count)
    let chosen = engine(requested, &s, bias: true)
    let used = atl_conv2d_forward(&s, chosen, x, w, b, &out, nil, 0)
    #expect(used == chosen)
    #expect(maxRelativeError(out, expected.out) < tolerance)
    var rectified = [Float](repeating: .nan, count: expected.out.count)
    #expect(atl_conv2d_forward(&s, chosen, x, w, b, &rectified, nil, 1) == chosen)
    #expect(maxRelativeError(rectified, expected.out.map { max($0, 0) }) < tolerance)
  }

  /// The direct kernel's 16-pixel AVX-512 blocks sum what its 8-pixel ones sum, in the
  /// same order: the same bits on every shape (on a CPU without AVX-512 both runs take
  /// the 8-pixel blocks, and the reference test above covers them).
  @Test func directKernelWideAndNarrowAgreeBitForBit() {
    let previous = atl_conv_direct_wide()
    defer { atl_conv_direct_set_wide(previous) }
    for t in Self.cases {
      var s = shape(t)
      guard atl_conv_direct_supports(&s) != 0 else { continue }
      let x = randomArray(t.n * t.c * t.h * t.w, seed: 1), w = randomArray(t.k * t.c * t.r * t.s, seed: 2)
      let b = randomArray(t.k, seed: 3)
      let count = t.n * t.k * Int(s.P) * Int(s.Q)
      var outputs: [[Float]] = []
      for wide: Int32 in [0, 1] {
        atl_conv_direct_set_wide(wide)
        var out = [Float](repeating: .nan, count: count)
        #expect(atl_conv_direct_forward(&s, x, w, b, &out, 1) == 0)
        outputs.append(out)
      }
      #expect(outputs[0].map(\.bitPattern) == outputs[1].map(\.bitPattern), "\(t)")
    }
  }

  @Test(arguments: cases, engines)
  func backwardMatchesReferenceWithAndWithoutSavedInput(_ t: Case, _ requested: Int32) {
    checkBackward(t, requested)
  }

  /// oneDNN's primitives are built once per shape and kept; the REPL, a kernel's execute
  /// thread or a test runner may call them from another thread than the one that built them.
  @Test func primitivesBuiltOnOneThreadRunOnOthers() {
    let shared = [
      Case(n: 8, c: 32, h: 12, w: 12, k: 32, r: 3, s: 3, stride: 1, pad: 1),
      Case(n: 8, c: 16, h: 10, w: 10, k: 32, r: 5, s: 5, stride: 1, pad: 2),
    ]
    for t in shared { checkBackward(t, Int32(ATL_CONV_DNNL)) }
    for _ in 0..<3 {
      let done = DispatchSemaphore(value: 0)
      Thread {
        for t in shared { checkBackward(t, Int32(ATL_CONV_DNNL)) }
        done.signal()
      }.start()
      done.wait()
    }
  }

  func checkBackward(_ t: Case, _ requested: Int32) {
    var s = shape(t)
    let x = randomArray(t.n * t.c * t.h * t.w, seed: 4), w = randomArray(t.k * t.c * t.r * t.s, seed: 5)
    let g = randomArray(t.n * t.k * Int(s.P) * Int(s.Q), seed: 6)
    let expected = Reference.conv2dBackward(
      x, w, g, n: t.n, c: t.c, h: t.h, wd: t.w, k: t.k, r: t.r, s: t.s, stride: t.stride, pad: t.pad, p: Int(s.P),
      q: Int(s.Q))
    for hasBias in [false, true] {
      let engine = engine(requested, &s, bias: hasBias)
      let savedSize = Int(atl_conv_saved_size(&s, hasBias ? 1 : 0, engine))
      var saved = [Float](repeating: 0, count: max(savedSize, 1))
      var out = [Float](repeating: 0, count: g.count)
      let bias = [Float](repeating: 0.5, count: t.k)
      let used = bias.withUnsafeBufferPointer { b in
        saved.withUnsafeMutableBufferPointer { keep in
          atl_conv2d_forward(
            &s, engine, x, w, hasBias ? b.baseAddress : nil, &out, savedSize > 0 ? keep.baseAddress : nil, 0)
        }
      }
      #expect(used == engine)
      for useSaved in [false, true] {
        var dx = [Float](repeating: .nan, count: x.count), dw = [Float](repeating: .nan, count: w.count)
        var db = [Float](repeating: .nan, count: t.k)
        saved.withUnsafeBufferPointer { kept in
          db.withUnsafeMutableBufferPointer { biasGradient in
            atl_conv2d_backward(
              &s, engine, x, w, g, useSaved && savedSize > 0 ? kept.baseAddress : nil, &dx, &dw,
              hasBias ? biasGradient.baseAddress : nil, hasBias ? 1 : 0)
          }
        }
        #expect(maxRelativeError(dx, expected.dx) < tolerance)
        #expect(maxRelativeError(dw, expected.dw) < tolerance)
        if hasBias { #expect(maxRelativeError(db, expected.db) < tolerance) }
      }
    }
  }

  /// Both of Winograd's tile sizes on every 3x3 stride-1 case, whichever the shape
  /// would choose: 6x6 tiles over maps that are no whole number of them, batch 1, pad 0
  /// and 2, a 1x1 image, forward with and without ReLU and both gradients.
  @Test(arguments: cases.filter { $0.r == 3 && $0.s == 3 && $0.stride == 1 }, [Int32(4), Int32(6)])
  func winogradTilesMatchReference(_ t: Case, _ tile: Int32) {
    var s = shape(t)
    let x = randomArray(t.n * t.c * t.h * t.w, seed: 4), w = randomArray(t.k * t.c * t.r * t.s, seed: 5)
    let b = randomArray(t.k, seed: 3), g = randomArray(t.n * t.k * Int(s.P) * Int(s.Q), seed: 6)
    let forward = Reference.conv2d(
      x, w, b, n: t.n, c: t.c, h: t.h, wd: t.w, k: t.k, r: t.r, s: t.s, stride: t.stride, pad: t.pad)
    let backward = Reference.conv2dBackward(
      x, w, g, n: t.n, c: t.c, h: t.h, wd: t.w, k: t.k, r: t.r, s: t.s, stride: t.stride, pad: t.pad, p: Int(s.P),
      q: Int(s.Q))
    for relu in [Int32(0), 1] {
      var out = [Float](repeating: .nan, count: forward.out.count)
      #expect(atl_conv_winograd_forward_tiles(&s, tile, x, w, b, &out, relu) == 0)
      #expect(maxRelativeError(out, relu == 1 ? forward.out.map { max($0, 0) } : forward.out) < tolerance)
    }
    var dx = [Float](repeating: .nan, count: x.count), dw = [Float](repeating: .nan, count: w.count)
    var db = [Float](repeating: .nan, count: t.k)
    #expect(atl_conv_winograd_backward_tiles(&s, tile, x, w, g, &dx, &dw, &db) == 0)
    #expect(maxRelativeError(dx, backward.dx) < tolerance)
    #expect(maxRelativeError(dw, backward.dw) < tolerance)
    #expect(maxRelativeError(db, backward.db) < tolerance)
  }

  @Test func kernelLargerThanInputIsRejected() {
    var s = atl_conv_shape(
      N: 1, C: 1, H: 3, W: 3, K: 1, R: 5, S: 5, stride_h: 1, stride_w: 1, pad_h: 0, pad_w: 0, P: 0, Q: 0)
    #expect(atl_conv_output(&s) == -1)
  }
}

@Suite struct PoolKernelTests {
  @Test(arguments: [(2, 2, 0), (3, 2, 0), (4, 2, 2), (3, 2, 1), (2, 1, 0), (3, 1, 0), (5, 2, 0), (7, 2, 0), (4, 4, 0)])
  func maxPoolForwardAndBackwardMatchReference(_ window: (Int, Int, Int)) {
    let (kernel, stride, pad) = window
    // 21 columns: unpadded windows go 8 at a time, straight from the rows while their
    // loads stay inside them and from copied rows after (7x7 stride 2 at once); values
    // rounded to halves tie often, and the first of equal values must win
    let (n, c, h, w) = (2, 3, 9, 21)
    let x = randomArray(n * c * h * w, seed: 7).map { ($0 * 2).rounded() / 2 }
    let expected = Reference.maxpool(x, n: n, c: c, h: h, w: w, kernel: kernel, stride: stride, pad: pad)
    var s = atl_pool_shape(
      N: Int32(n), C: Int32(c), H: Int32(h), W: Int32(w), kernel_h: Int32(kernel), kernel_w: Int32(kernel),
      stride_h: Int32(stride), stride_w: Int32(stride), pad_h: Int32(pad), pad_w: Int32(pad), P: 0, Q: 0)
    #expect(atl_pool_output(&s) == 0)
    #expect(Int(s.P) == expected.p && Int(s.Q) == expected.q)
    var out = [Float](repeating: .nan, count: expected.out.count)
    var argmax = [Int32](repeating: -2, count: expected.out.count)
    atl_maxpool_forward(&s, x, &out, &argmax)
    #expect(out == expected.out)
    #expect(argmax.map(Int.init) == expected.argmax)

    let g = randomArray(out.count, seed: 8)
    var dx = [Float](repeating: .nan, count: x.count)
    atl_maxpool_backward(&s, g, argmax, nil, &dx)
    var reference = [Float](repeating: 0, count: x.count)
    for (i, at) in expected.argmax.enumerated() where at >= 0 {
      let plane = i / (expected.p * expected.q)
      reference[plane * h * w + at] += g[i]
    }
    #expect(maxRelativeError(dx, reference) < 1e-6)
  }

  /// A NaN wins a window only from its first position, and of -0 and +0 the first
  /// one wins, as in a scan with strict comparisons; also on planes narrower than 8
  /// windows (AlexNet's 13x13 maps pooled to 6x6).
  @Test(arguments: [(2, 2, 0, 19), (4, 4, 0, 19), (3, 2, 0, 19), (3, 1, 0, 19), (3, 2, 0, 13), (2, 1, 0, 6)])
  func maxPoolKeepsTheScanOrderOnNaNAndSignedZero(_ window: (Int, Int, Int, Int)) {
    let (kernel, stride, pad, w) = window
    let (n, c, h) = (1, 2, 8)
    var x = randomArray(n * c * h * w, seed: 12).map { $0 < 0 ? -0.0 : ($0 > 0.6 ? 0.0 : $0) }
    for i in Swift.stride(from: 0, to: x.count, by: 7) { x[i] = .nan }
    let expected = Reference.maxpool(x, n: n, c: c, h: h, w: w, kernel: kernel, stride: stride, pad: pad)
    var s = atl_pool_shape(
      N: Int32(n), C: Int32(c), H: Int32(h), W: Int32(w), kernel_h: Int32(kernel), kernel_w: Int32(kernel),
      stride_h: Int32(stride), stride_w: Int32(stride), pad_h: Int32(pad), pad_w: Int32(pad), P: 0, Q: 0)
    #expect(atl_pool_output(&s) == 0)
    var out = [Float](repeating: 1, count: expected.out.count)
    var argmax = [Int32](repeating: -2, count: expected.out.count)
    atl_maxpool_forward(&s, x, &out, &argmax)
    #expect(argmax.map(Int.init) == expected.argmax)
    #expect(out.map(\.bitPattern) == expected.out.map(\.bitPattern))
  }
}

@Suite struct GemmKernelTests {
  /// C = alpha op(A) op(B) + beta C on row-major operands, one dot product at a time.
  static func reference(
    _ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float, _ a: [Float], _ lda: Int,
    _ b: [Float], _ ldb: Int, _ beta: Float, _ c: [Float], _ ldc: Int
  ) -> [Float] {
    var out = c
    for i in 0..<m {
      for j in 0..<n {
        var sum: Float = 0
        for p in 0..<k { sum += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]) }
        out[i * ldc + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * ldc + j])
      }
    }
    return out
  }

  // Both engines, every transpose, a row or column alone, leading dimensions wider than
  // the operands (the rest of C untouched), and beta = 0 ignoring NaN already in C.
  @Test(
    arguments: [Int32(ATL_GEMM_OPENBLAS), Int32(ATL_GEMM_DNNL)],
    [(1, 7, 5), (5, 1, 3), (13, 11, 1), (37, 129, 70), (130, 10, 257)])
  func matchesReference(_ engine: Int32, _ dims: (Int, Int, Int)) {
    let (m, n, k) = dims
    let previous = atl_gemm_engine()
    atl_gemm_set_engine(engine)
    defer { atl_gemm_set_engine(previous) }
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
      for beta: Float in [0, 0.5] {
        let lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 1
        let a = randomArray((ta ? k : m) * lda, seed: 21), b = randomArray((tb ? n : k) * ldb, seed: 22)
        var c = randomArray(m * ldc, seed: 23)
        if beta == 0 { for i in 0..<m { c[i * ldc] = .nan } }
        let expected = Self.reference(ta, tb, m, n, k, 0.75, a, lda, b, ldb, beta, c, ldc)
        atl_sgemm(
          ta ? 1 : 0, tb ? 1 : 0, Int64(m), Int64(n), Int64(k), 0.75, a, Int64(lda), b, Int64(ldb), beta,
          &c, Int64(ldc))
        #expect(c.allSatisfy { $0.isFinite }, "engine \(engine) ta \(ta) tb \(tb) beta \(beta)")
        #expect(maxRelativeError(c, expected) < 1e-5, "engine \(engine) ta \(ta) tb \(tb) beta \(beta)")
      }
    }
  }
}

@Suite struct DenseAndElementwiseTests {
  @Test(arguments: [(1, 3, 2), (5, 7, 4), (130, 400, 120)])
  func denseForwardAndBackwardMatchReference(_ dims: (Int, Int, Int)) {
    let (batch, inputs, outputs) = dims
    let x = randomArray(batch * inputs, seed: 9), w = randomArray(outputs * inputs, seed: 10),
      b = randomArray(outputs, seed: 11)
    var y = [Float](repeating: .nan, count: batch * outputs)
    atl_dense_forward(x, w, b, &y, Int64(batch), Int64(inputs), Int64(outputs))
    #expect(maxRelativeError(y, Reference.dense(x, w, b, batch: batch, inputs: inputs, outputs: outputs)) < 1e-5)

    let g = randomArray(batch * outputs, seed: 12)
    var dx = [Float](repeating: .nan, count: x.count), dw = [Float](repeating: 0, count: w.count)
    var db = [Float](repeating: 0, count: outputs)
    atl_dense_backward(x, w, g, &dx, &dw, &db, Int64(batch), Int64(inputs), Int64(outputs))
    var rdx = [Float](repeating: 0, count: x.count), rdw = [Float](repeating: 0, count: w.count)
    var rdb = [Float](repeating: 0, count: outputs)
    for i in 0..<batch {
      for o in 0..<outputs {
        let go = g[i * outputs + o]
        rdb[o] += go
        for j in 0..<inputs {
          rdx[i * inputs + j] += go * w[o * inputs + j]
          rdw[o * inputs + j] += go * x[i * inputs + j]
        }
      }
    }
    #expect(maxRelativeError(dx, rdx) < 1e-4)
    #expect(maxRelativeError(dw, rdw) < 1e-4)
    #expect(maxRelativeError(db, rdb) < 1e-4)
  }

  @Test func reluForwardBackwardBiasSumMean() {
    let x = randomArray(70_000, seed: 13)
    var y = [Float](repeating: .nan, count: x.count)
    atl_relu_forward(x, &y, Int64(x.count))
    #expect(y == x.map { max($0, 0) })
    let g = randomArray(x.count, seed: 14)
    var dx = [Float](repeating: .nan, count: x.count)
    atl_relu_backward(x, g, &dx, Int64(x.count))
    #expect(dx == zip(x, g).map { $0 > 0 ? $1 : 0 })

    var rows: [Float] = [1, 2, 3, 4, 5, 6]
    atl_bias_add(&rows, [10, 20, 30], 2, 3)
    #expect(rows == [11, 22, 33, 14, 25, 36])
    #expect(abs(atl_sum(x, Int64(x.count)) - x.map(Double.init).reduce(0, +)) < 1e-6 * Double(x.count))
    #expect(abs(atl_mean([1, 2, 3, 6], 4) - 3) < 1e-12)
    #expect(atl_all_finite([1, 2], 2) == 1 && atl_all_finite([1, .nan], 2) == 0)
  }

  @Test func softmaxCrossEntropyMatchesReference() {
    let (rows, classes) = (6, 10)
    let z = randomArray(rows * classes, seed: 15, low: -20, high: 20)
    let labels: [Int32] = [0, 3, 9, 2, 2, 7]
    var probs = [Float](repeating: .nan, count: z.count)
    let loss = atl_softmax_xent_forward(z, labels, &probs, Int64(rows), Int64(classes), 0)
    let expected = Reference.softmaxCrossEntropy(z, labels, classes: classes)
    #expect(abs(loss - expected.loss) < 1e-4 * max(1, expected.loss))
    #expect(maxRelativeError(probs, expected.probs) < 1e-5)
    var grad = [Float](repeating: .nan, count: z.count)
    atl_softmax_xent_backward(probs, labels, &grad, Int64(rows), Int64(classes), 0.5, 0)
    for i in 0..<rows {
      for c in 0..<classes {
        let onehot: Float = Int32(c) == labels[i] ? 1 : 0
        #expect(abs(grad[i * classes + c] - 0.5 * (expected.probs[i * classes + c] - onehot)) < 1e-6)
      }
    }
    #expect(atl_softmax_xent_forward(z, [0, 0, 0, 0, 0, 10], &probs, Int64(rows), Int64(classes), 0).isNaN)
  }
}

@Suite struct OptimizerKernelTests {
  @Test(arguments: [(0.0, false), (0.9, false), (0.9, true)])
  func sgdMatchesReferenceOverSteps(_ config: (Double, Bool)) {
    let (momentum, nesterov) = (Float(config.0), config.1)
    var w = randomArray(50, seed: 16), v = [Float](repeating: 0, count: 50)
    var rw = w, rv = v
    for step in 0..<3 {
      let g = randomArray(50, seed: 17 + UInt64(step))
      atl_sgd_update(&w, g, &v, 50, 0.1, momentum, 1e-3, nesterov ? 1 : 0, step == 0 ? 1 : 0)
      Reference.sgd(w: &rw, g: g, v: &rv, lr: 0.1, momentum: momentum, wd: 1e-3, nesterov: nesterov, first: step == 0)
    }
    #expect(maxRelativeError(w, rw) < 1e-6)
  }

  @Test func adamMatchesReferenceOverSteps() {
    var w = randomArray(50, seed: 20), m = [Float](repeating: 0, count: 50), v = m
    var rw = w, rm = m, rv = v
    for t in 1...4 {
      let g = randomArray(50, seed: 21 + UInt64(t))
      atl_adam_update(&w, g, &m, &v, 50, 1e-2, 0.9, 0.999, 1e-8, 0, Int64(t))
      Reference.adam(w: &rw, g: g, m: &rm, v: &rv, lr: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, t: t)
    }
    #expect(maxRelativeError(w, rw) < 1e-5)
  }
}

@Suite struct MoreOptimizerKernelTests {
  @Test func adamWDecaysTheWeightsBeforeTheAdamStep() {
    var w = randomArray(40, seed: 30), m = [Float](repeating: 0, count: 40), v = m
    var rw = w, rm = m, rv = v
    for t in 1...3 {
      let g = randomArray(40, seed: 31 + UInt64(t))
      atl_adamw_update(&w, g, &m, &v, 40, 1e-2, 0.9, 0.999, 1e-8, 0.1, Int64(t))
      rw = rw.map { $0 * (1 - 1e-2 * 0.1) }
      Reference.adam(w: &rw, g: g, m: &rm, v: &rv, lr: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, t: t)
    }
    #expect(maxRelativeError(w, rw) < 1e-5)
  }

  @Test func rmspropMatchesItsDefinition() {
    var w = randomArray(40, seed: 40), v = [Float](repeating: 0, count: 40)
    var rw = w.map(Double.init), rv = [Double](repeating: 0, count: 40)
    for step in 0..<3 {
      let g = randomArray(40, seed: 41 + UInt64(step))
      atl_rmsprop_update(&w, g, &v, 40, 1e-2, 0.99, 1e-8, 0)
      for i in 0..<40 {
        rv[i] = 0.99 * rv[i] + 0.01 * Double(g[i]) * Double(g[i])
        rw[i] -= 1e-2 * Double(g[i]) / (rv[i].squareRoot() + 1e-8)
      }
    }
    #expect(maxRelativeError(w, rw.map(Float.init)) < 1e-5)
  }

  @Test func dropoutMaskKeepsTheExpectedShareScaled() {
    let u = randomArray(100_000, seed: 50, low: 0, high: 1)
    var keep = [Float](repeating: -1, count: u.count)
    atl_dropout_mask(u, 0.3, &keep, Int64(u.count))
    let kept = keep.filter { $0 > 0 }
    #expect(abs(Double(kept.count) / Double(u.count) - 0.7) < 0.01)
    #expect(kept.allSatisfy { abs($0 - 1 / 0.7) < 1e-6 } && keep.allSatisfy { $0 == 0 || $0 > 1 })
  }

  @Test func zeroPaddingPlacesThePlane() {
    let x: [Float] = [1, 2, 3, 4]
    var out = [Float](repeating: -1, count: 2 * 5)
    atl_pad_planes(x, 1, 2, 2, 0, 1, 0, 2, &out)
    #expect(out == [0, 1, 2, 0, 0, 0, 3, 4, 0, 0])
    var back = [Float](repeating: 0, count: 4)
    atl_pad_planes_backward(out, 1, 2, 2, 0, 1, 0, 2, &back)
    #expect(back == x)
  }
}
