import Foundation
import ProbeCore
import ProbeSyntax
import ProbeTestSupport
import XCTest

final class LexerTests: XCTestCase {
  func kinds(_ text: String) -> [Token.Kind] { Lexer.tokenize(SourceFile(name: "", text: text)).tokens.map(\.kind) }

  func testTokensAndRanges() {
    let (tokens, diags) = Lexer.tokenize(SourceFile(name: "", text: "IMPORT corpus \"My Corpus\" FROM 'it''s' -- comment\n WITH (c = (0.01, 1e2), n=-3);"))
    XCTAssertTrue(diags.isEmpty)
    XCTAssertEqual(tokens.map(\.text), ["IMPORT", "corpus", "My Corpus", "FROM", "it's", "WITH", "(", "c", "=", "(", "0.01", ",", "1e2", ")", ",", "n", "=", "-", "3", ")", ";", ""])
    XCTAssertEqual(tokens[2].kind, .quotedIdentifier)
    XCTAssertEqual(tokens[4].kind, .string)
    XCTAssertEqual(tokens[4].range, SourceRange(31, 38))
  }

  func testBlockCommentsAndOtherCharacters() {
    XCTAssertEqual(kinds("SELECT /* ; */ a || b <= 3;"), [.word, .word, .other, .other, .word, .other, .equals, .number, .semicolon, .endOfInput])
  }

  func testUnterminatedStringPointsAtOpeningQuote() {
    let (_, diags) = Lexer.tokenize(SourceFile(name: "", text: "IMPORT CORPUS r FROM 'data;\n"))
    XCTAssertEqual(diags.map(\.id), ["syntax.unterminated-string"])
    XCTAssertEqual(diags[0].range, SourceRange(21, 22))
  }

  func testStatementCompleteness() {
    XCTAssertTrue(Lexer.endsStatement("SELECT 1;"))
    XCTAssertTrue(Lexer.endsStatement("SELECT 1; -- trailing comment"))
    XCTAssertFalse(Lexer.endsStatement("SELECT ';"))
    XCTAssertFalse(Lexer.endsStatement("SELECT 1 /* ; */"))
    XCTAssertFalse(Lexer.endsStatement("PROBE f0\n FROM wavlm"))
  }

  /// grammar/keywords.txt is normative: the parser must recognise exactly those keywords.
  func testKeywordListAgreesWithGrammar() throws {
    let text = try String(contentsOfFile: TestSupport.packageRoot.appendingPathComponent("grammar/keywords.txt").path, encoding: .utf8)
    let listed = Set(text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") })
    XCTAssertEqual(listed, Parser.keywords)
  }
}
