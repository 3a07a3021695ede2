import Foundation
import Plot
import Testing

@testable import Lang

/// Looking inside a model and its data at the prompt.
@Suite(.serialized) struct InspectionTests {
  static let classes =
    #"["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]"#

  /// A LeNet-5 trained briefly on a slice of the fixtures.
  func session() throws -> Interpreter {
    // Figures at the prompt as characters, whatever terminal runs the tests.
    setenv("ATELIER_GRAPHICS", "text", 1)
    let interpreter = try sessionInterpreter { _ in }
    let setup = """
      d = idx("\(fixtures)", classes: \(InspectionTests.classes))
      net = lenet5()
      h = fit(net, d.train[0:300], epochs: 1, seed: 1)
      """
    #expect(run(setup, in: interpreter).error == nil)
    return interpreter
  }

  func output(_ source: String, _ interpreter: Interpreter) -> String {
    let result = run(source, in: interpreter)
    #expect(result.error == nil, "\(source): \(String(describing: result.error))")
    return result.output
  }

  @Test func filtersActivationsAndReshapeKeepTheirShapes() throws {
    let s = try session()
    #expect(output("print filters(net, \"conv1\").shape", s) == "[6, 5, 5]\n")
    #expect(output("print filters(net, \"conv2\").shape", s) == "[96, 5, 5]\n")
    #expect(output("print activations(net, d.test[3], at: \"relu1\").shape", s) == "[1, 6, 28, 28]\n")
    #expect(output("print activations(net, d.test, at: \"maxpool2\", n: 4).shape", s) == "[4, 16, 5, 5]\n")
    #expect(
      output("print reshape(features(net, d.test, at: \"maxpool2\", n: 2).points, [-1, 16, 5, 5]).shape", s)
        == "[2, 16, 5, 5]\n")
    #expect(output("l = reshape([16, 5, 5])\nprint l.kind", s) == "reshape\n")
    let error = run("w = filters(net, \"fc2\")", in: s).error
    #expect(error?.message.contains("fc2 is not a built conv layer") == true)
    #expect(error?.hint?.contains("conv1, conv2") == true)
  }

  @Test func transposeReordersAxesAndReversesByDefault() throws {
    let s = try session()
    let x = "x = reshape(tensor([1, 2, 3, 4, 5, 6]), [1, 2, 3])\n"
    #expect(output(x + "y = transpose(x, [2, 0, 1])\nprint y.shape\nprint y[2][0][1]", s) == "[3, 1, 2]\n6\n")
    #expect(output(x + "print transpose(x).shape", s) == "[3, 2, 1]\n")
    #expect(run(x + "y = transpose(x, [0, 0, 1])", in: s).error?.message.contains("each of the 3 axes") == true)
  }

  @Test func misclassifiedImagesCarryTrueAndPredictedClasses() throws {
    let s = try session()
    let text = output(
      "m = misclassified(net, d.test[0:200])\nr = evaluate(net, d.test[0:200])\nprint len(m), round((1 - r.acc) * 200)",
      s)
    let numbers = text.split(separator: " ").map { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    #expect(numbers.count == 2 && numbers[0] == numbers[1] && (numbers[0] ?? 0) > 0, "\(text)")
    // The captions are what a plot shows under each image.
    let plotted = output("plot(misclassified(net, d.test[0:200], n: 3))", s)
    let captions = plotted.split(separator: "\n").last.map(String.init) ?? ""
    #expect(captions.components(separatedBy: " → ").count == 4, "\(captions)")
  }

  @Test func plotShowsOneItemTwoDimensionalTensorsAndGivenCaptions() throws {
    let s = try session()
    let one = output("plot(d.test[3])", s).split(separator: "\n")
    #expect(one.first == "Image" && one.last == "label 1" && one.count == 16)
    let named = output("plot(d.test[0:2], labels: [\"first\", \"second\"])", s).split(separator: "\n")
    #expect(named.last?.hasPrefix("first") == true && named.last?.hasSuffix("second") == true)
    // A 2×2 image grows to 16×16 cells: 8 lines between its title and caption.
    #expect(output("plot(reshape(tensor([0, 0.5, 1, 1]), [2, 2]))", s).split(separator: "\n").count == 10)
  }

  @Test func aConfusionCellOpensIntoItsImages() throws {
    let s = try session()
    let text = output(
      """
      cm = confusion(net, d.test)
      shirts = examples(cm, "Shirt", "T-shirt/top")
      print len(shirts), cm.values[6][0]
      print len(examples(cm, 6, 6)) == cm.values[6][6]
      """, s)
    let parts = text.split(separator: "\n")
    let counts = parts[0].split(separator: " ")
    #expect(counts.count == 2 && counts[0] == counts[1], "\(text)")
    #expect(parts[1] == "true")
    let wrong = run("x = examples(cm, \"Shrt\", 0)", in: s).error
    #expect(wrong?.hint == "did you mean \"Shirt\"?")
    #expect(
      run("x = examples(confusion([0, 1], [1, 1]), 0, 1)", in: s).error?.message.contains("not made from") == true)
  }
}
