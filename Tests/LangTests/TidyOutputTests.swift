import Foundation
import Testing

@testable import Lang

/// One number format per kind of value, aligned tables, plurals, one line per variable.
@Suite struct TidyOutputTests {
  @Test func metricsPrintInOneFormatByKind() {
    let r = Value.record(
      Record([
        ("loss", .number(1.805291)), ("acc", .number(0.486)),
        ("per_class", .record(Record([("Coat", .number(0.0384615)), ("Bag", .number(1))]))),
      ]))
    #expect(Printer.show(r) == "loss       1.805\nacc        0.4860\nper_class  \n  Coat  0.0385\n  Bag   1.0000")
    let rows = Value.list([
      .record(Record([("class", .string("Bag")), ("precision", .number(1)), ("f1", .number(0.07407))])),
      .record(Record([("class", .string("accuracy")), ("precision", .none), ("f1", .number(0.486))])),
    ])
    #expect(
      Printer.show(rows) == "class     precision      f1\nBag          1.0000  0.0741\naccuracy             0.4860")
  }

  @Test func countsTakeTheirPlurals() {
    #expect(Printer.counted(1, "epoch") == "1 epoch" && Printer.counted(3, "epoch") == "3 epochs")
    #expect(Printer.counted(1, "class", plural: "classes") == "1 class")
    #expect(Printer.counted(61706, "param") == "61,706 params")
  }

  @Test func eachVariableIsOneShortLine() throws {
    let s = try sessionInterpreter { _ in }
    _ = run("net = lenet5()\ntext = \"two\\nlines\"\nh = 3", in: s)
    #expect(Printer.brief(try #require(s.variable("net"))) == "model, 12 layers, 61,706 params")
    #expect(Printer.brief(try #require(s.variable("text"))) == "\"two\\nlines\"")
  }

  @Test func imageValuesBecomeShadesByTheAskedScale() throws {
    let pixels: [Float] = [0, 2, 4, 8, -1, 0, 1, 0.5]
    // Signed values over all images: divided by the largest magnitude, to [-1, 1].
    #expect(ImageScale.auto.apply(pixels, imageSize: 4) == [0, 0.25, 0.5, 1, -0.125, 0, 0.125, 0.0625])
    // Each image over its own range: the first to [0, 1], the second (signed) by its own magnitude.
    #expect(ImageScale.each.apply(pixels, imageSize: 4) == [0, 0.25, 0.5, 1, -1, 0, 1, 0.5])
    #expect(ImageScale.fixed(0, 4).apply(pixels, imageSize: 4) == [0, 0.5, 1, 1, 0, 0, 0.25, 0.125])
    #expect(ImageScale.auto.apply([0, 0.5, 1], imageSize: 3) == [0, 0.5, 1])
    #expect(throws: AtelierError.self) { try ImageScale.from(.list([.number(2), .number(1)])) }
  }
}
