import Foundation
import Testing

@testable import Lang

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("Fixtures").path

/// Runs a program and returns what it wrote, or the error it stopped with.
func run(_ source: String, in interpreter: Interpreter? = nil, name: String = "test.atl") -> (
  output: String, error: AtelierError?
) {
  var output = ""
  let interp = interpreter ?? Interpreter()
  interp.write = { output += $0 }
  do {
    try interp.run(SourceFile(name: name, text: source))
    return (output, nil)
  } catch let error as AtelierError {
    return (output, error)
  } catch {
    Issue.record("a non-language error escaped: \(error)")
    return (output, nil)
  }
}

@Suite struct LexerAndParserTests {
  @Test func numbersIncludingExponents() {
    #expect(run("print 1e-3, 2.5, 1_000, .5, 3E2").output == "0.001 2.5 1000 0.5 300\n")
  }

  @Test func commandFormAndParenFormAreTheSameCall() {
    #expect(run("print 1, 2").output == run("print(1, 2)").output)
    #expect(run("x = 3\nprint x").output == "3\n")
  }

  @Test func operatorsFollowUsualPrecedence() {
    #expect(run("print 1 + 2 * 3, (1 + 2) * 3, -2 ** 2, 7 % 4, 2 < 3 and not false").output == "7 9 -4 3 true\n")
  }

  @Test func statementsSplitOnNewlinesAndSemicolons() {
    #expect(run("a = 1; b = 2\nprint a + b").output == "3\n")
  }

  @Test func parseErrorsShowFileLineColumnSourceAndCaret() throws {
    let error = try #require(run("x = 1\ny = (2 +\n").error)
    #expect(error.location?.line == 3 || error.location?.line == 2)
    let unterminated = try #require(run("print \"abc").error)
    let text = unterminated.description
    #expect(text.hasPrefix("test.atl:1:7: error: unterminated string"))
    #expect(text.contains("\n    print \"abc\n          ^"))
  }

  @Test func strayTokensAfterAStatementAreReported() throws {
    let error = try #require(run("x = 1 2").error)
    #expect(error.location?.column == 7)
  }
}

@Suite struct InterpreterTests {
  @Test func undefinedNamesSuggestTheClosestName() throws {
    let interp = Interpreter()
    _ = run("learning_rate = 0.1", in: interp)
    let error = try #require(run("print learning_rat", in: interp).error)
    #expect(error.message == "'learning_rat' is not defined")
    #expect(error.hint == "did you mean 'learning_rate'?")
    #expect(error.location?.column == 7)
  }

  @Test func unknownNamedArgumentsSuggestTheParameter() throws {
    let error = try #require(run("c = conv(6, 5, padd: 2)").error)
    #expect(error.message.contains("no parameter 'padd'"))
    #expect(error.hint == "did you mean 'pad'?")
  }

  @Test func variablesSurviveErrors() {
    let interp = Interpreter()
    _ = run("a = 41", in: interp)
    for bad in ["a +", "nosuch()", "conv(-1, 3)", "model { dense 0 }", "print 1 / 0", "\"x\" - 1", "a.b"] {
      #expect(run(bad, in: interp).error != nil, "\(bad) should fail")
    }
    #expect(run("print a + 1", in: interp).output == "42\n")
  }

  @Test func destructuringAndLists() {
    #expect(run("a, b = [1, 2]\nprint b, a, [1, 2][-1]").output == "2 1 2\n")
    #expect(run("a, b = [1, 2, 3]").error != nil)
  }

  @Test func modelBlockBuildsAndSummarisesLeNet() throws {
    let program = """
      net = model(input: [1, 28, 28]) {
        conv 6, 5, pad: 2;  relu;  maxpool 2
        conv 16, 5;         relu;  maxpool 2
        flatten
        dense 120; relu
        dense 84 as fc2; relu
        dense 10
      }
      summary net
      print net.params, net.fc2.name
      """
    let result = run(program)
    #expect(result.error == nil)
    #expect(result.output.contains("61,706 parameters"))
    #expect(result.output.contains("fc2       dense    [84]"))
    #expect(result.output.hasSuffix("61706 fc2\n"))
  }

  @Test func shapeMistakesInAModelNameTheLayer() throws {
    let error = try #require(run("net = model(input: [1, 28, 28]) {\n  conv 6, 5\n  dense 10\n}").error)
    #expect(error.message.contains("dense1"))
    #expect(error.hint?.contains("flatten") == true)
    #expect(error.location?.line == 1)
  }

  @Test func trainsAndEvaluatesOnTheFixture() throws {
    let program = """
      data = fashion_mnist("\(fixtures)")
      net = model {
        flatten
        dense 64; relu
        dense 10
      }
      h = fit(net, data.train, epochs: 3, batch: 50, opt: adam(lr: 2e-3), val: data.test)
      r = evaluate(net, data.test)
      print h.epochs, r.acc > 0.6, data.test.count, data.classes[0]
      """
    let result = run(program)
    #expect(result.error == nil, "\(String(describing: result.error))")
    #expect(result.output.hasSuffix("3 true 500 T-shirt/top\n"))
    #expect(result.output.contains("val_acc"))
  }

  @Test func aDatasetIsRequiredWhereOneIsExpected() throws {
    let error = try #require(run("net = model { dense 2 }\nfit(net, 3)").error)
    #expect(error.message == "fit: data must be a dataset, not a number")
    #expect(error.location?.line == 2)
  }
}
