import CKernel
import Foundation

/// Naive implementations, written for clarity, that the fast kernels are checked against.
enum Reference {
  // in (N,C,H,W), w (K,C,R,S), b (K) -> out (N,K,P,Q)
  static func conv2d(
    _ x: [Float], _ w: [Float], _ b: [Float]?, n: Int, c: Int, h: Int, wd: Int, k: Int, r: Int, s: Int,
    stride: Int, pad: Int
  ) -> (out: [Float], p: Int, q: Int) {
    let p = (h + 2 * pad - r) / stride + 1, q = (wd + 2 * pad - s) / stride + 1
    var out = [Float](repeating: 0, count: n * k * p * q)
    for i in 0..<n {
      for f in 0..<k {
        for y in 0..<p {
          for z in 0..<q {
            var acc = Double(b?[f] ?? 0)
            for ch in 0..<c {
              for dy in 0..<r {
                for dz in 0..<s {
                  let hh = y * stride - pad + dy, ww = z * stride - pad + dz
                  guard hh >= 0, hh < h, ww >= 0, ww < wd else { continue }
                  acc += Double(x[((i * c + ch) * h + hh) * wd + ww]) * Double(w[((f * c + ch) * r + dy) * s + dz])
                }
              }
            }
            out[((i * k + f) * p + y) * q + z] = Float(acc)
          }
        }
      }
    }
    return (out, p, q)
  }

  /// Gradients of sum(out * g) by the definition of convolution.
  static func conv2dBackward(
    _ x: [Float], _ w: [Float], _ g: [Float], n: Int, c: Int, h: Int, wd: Int, k: Int, r: Int, s: Int, stride: Int,
    pad: Int, p: Int, q: Int
  ) -> (dx: [Float], dw: [Float], db: [Float]) {
    var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
    var db = [Double](repeating: 0, count: k)
    for i in 0..<n {
      for f in 0..<k {
        for y in 0..<p {
          for z in 0..<q {
            let go = Double(g[((i * k + f) * p + y) * q + z])
            db[f] += go
            for ch in 0..<c {
              for dy in 0..<r {
                for dz in 0..<s {
                  let hh = y * stride - pad + dy, ww = z * stride - pad + dz
                  guard hh >= 0, hh < h, ww >= 0, ww < wd else { continue }
                  let xi = ((i * c + ch) * h + hh) * wd + ww, wi = ((f * c + ch) * r + dy) * s + dz
                  dx[xi] += go * Double(w[wi])
                  dw[wi] += go * Double(x[xi])
                }
              }
            }
          }
        }
      }
    }
    return (dx.map(Float.init), dw.map(Float.init), db.map(Float.init))
  }

  static func maxpool(_ x: [Float], n: Int, c: Int, h: Int, w: Int, kernel: Int, stride: Int, pad: Int)
    -> (out: [Float], argmax: [Int], p: Int, q: Int)
  {
    let p = (h + 2 * pad - kernel) / stride + 1, q = (w + 2 * pad - kernel) / stride + 1
    var out = [Float](), argmax = [Int]()
    for plane in 0..<(n * c) {
      for y in 0..<p {
        for z in 0..<q {
          var best = -Float.infinity, at = -1
          for dy in 0..<kernel {
            for dz in 0..<kernel {
              let hh = y * stride - pad + dy, ww = z * stride - pad + dz
              guard hh >= 0, hh < h, ww >= 0, ww < w else { continue }
              let v = x[plane * h * w + hh * w + ww]
              if at < 0 || v > best { (best, at) = (v, hh * w + ww) }
            }
          }
          out.append(at < 0 ? 0 : best)
          argmax.append(at)
        }
      }
    }
    return (out, argmax, p, q)
  }

  // x (B,I), w (O,I), b (O) -> (B,O)
  static func dense(_ x: [Float], _ w: [Float], _ b: [Float], batch: Int, inputs: Int, outputs: Int) -> [Float] {
    var y = [Float](repeating: 0, count: batch * outputs)
    for i in 0..<batch {
      for o in 0..<outputs {
        var acc = Double(b[o])
        for j in 0..<inputs { acc += Double(x[i * inputs + j]) * Double(w[o * inputs + j]) }
        y[i * outputs + o] = Float(acc)
      }
    }
    return y
  }

  static func softmaxCrossEntropy(_ z: [Float], _ labels: [Int32], classes: Int) -> (loss: Double, probs: [Float]) {
    var loss = 0.0
    var probs = [Float]()
    let rows = labels.count
    for i in 0..<rows {
      let row = z[(i * classes)..<((i + 1) * classes)].map(Double.init)
      let top = row.max()!
      let e = row.map { exp($0 - top) }
      let total = e.reduce(0, +)
      probs += e.map { Float($0 / total) }
      loss -= log(e[Int(labels[i])] / total)
    }
    return (loss / Double(rows), probs)
  }

  static func sgd(
    w: inout [Float], g: [Float], v: inout [Float], lr: Float, momentum: Float, wd: Float, nesterov: Bool, first: Bool
  ) {
    for i in w.indices {
      var d = g[i] + wd * w[i]
      if momentum != 0 {
        v[i] = first ? d : momentum * v[i] + d
        d = nesterov ? d + momentum * v[i] : v[i]
      }
      w[i] -= lr * d
    }
  }

  static func adam(
    w: inout [Float], g: [Float], m: inout [Float], v: inout [Float], lr: Double, b1: Double, b2: Double, eps: Double,
    t: Int
  ) {
    for i in w.indices {
      m[i] = Float(b1 * Double(m[i]) + (1 - b1) * Double(g[i]))
      v[i] = Float(b2 * Double(v[i]) + (1 - b2) * Double(g[i]) * Double(g[i]))
      let mHat = Double(m[i]) / (1 - pow(b1, Double(t))), vHat = Double(v[i]) / (1 - pow(b2, Double(t)))
      w[i] = Float(Double(w[i]) - lr * mHat / (vHat.squareRoot() + eps))
    }
  }
}

func randomArray(_ count: Int, seed: UInt64, low: Float = -1, high: Float = 1) -> [Float] {
  var rng = atl_rng()
  atl_rng_seed(&rng, seed)
  var out = [Float](repeating: 0, count: count)
  out.withUnsafeMutableBufferPointer { atl_rng_uniform(&rng, $0.baseAddress, Int64(count), low, high) }
  return out
}

func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
  precondition(a.count == b.count)
  let scale = max(b.map(abs).max() ?? 0, 1e-6)
  return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}
