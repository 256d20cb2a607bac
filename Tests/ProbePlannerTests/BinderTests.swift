import ProbeCore
import ProbePlanner
import ProbeSyntax
import XCTest

final class BinderTests: XCTestCase {
  let catalog = InMemoryCatalog(
    corpora: ["ravdess": (["angry", "happy", "neutral", "sad"], []), "savee": (["angry", "neutral"], [])],
    tableNames: ["corpora", "runs", "utterances"])

  /// Bind the single statement in `text`; returns the bound statement or the rendered diagnostic.
  func bind(_ text: String, catalog: Catalog? = nil) -> Result<BoundStatement, Diagnostic> {
    let source = SourceFile(name: "", text: text)
    let script = Parser.parse(source)
    XCTAssertEqual(script.diagnostics, [], "syntax error in test input")
    do { return .success(try Binder(catalog: catalog ?? self.catalog, source: source, workingDirectory: "/work").bind(script.statements[0].statement)) }
    catch { return .failure(error) }
  }

  func error(_ text: String, catalog: Catalog? = nil) -> String {
    switch bind(text, catalog: catalog) {
    case .success(let b): return "bound: \(b)"
    case .failure(let d): return DiagnosticRenderer().render(d)
    }
  }

  func testUnknownCorpusSuggests() {
    XCTAssertEqual(error("USE ravdes"), """
      error: 1:5: unknown corpus 'ravdes'
        1 | USE ravdes
          |     ^~~~~~
        = did you mean 'ravdess'?
      """)
  }

  func testUnknownEmotionAndAbsentEmotion() {
    XCTAssertTrue(error("RANK wavlm FOR angy FROM ravdess").contains("unknown emotion 'angy'\n  1 | RANK wavlm FOR angy FROM ravdess\n    |                ^~~~\n  = did you mean 'angry'?"))
    XCTAssertTrue(error("RANK wavlm FOR sad FROM savee").contains("corpus 'savee' has no 'sad' utterances"))
  }

  func testAliasesAreNormalisedBeforeTheSetIsChecked() {
    // `anger` is an alias of `angry`; binding gets as far as the set, which is not extracted.
    let e = error("PROBE f0 FROM wavlm TOP 20 FOR anger IN ravdess")
    XCTAssertTrue(e.contains("'wavlm' has not been extracted for corpus 'ravdess'"), e)
    XCTAssertTrue(e.contains("run EXTRACT wavlm FROM ravdess USING MODEL"), e)
  }

  func testAnalysisBindsWhenSetIsStored() throws {
    let cat = InMemoryCatalog(corpora: ["r": (["angry", "happy", "neutral"], ["egemaps", "wavlm"])])
    guard case .success(.analysis(let a)) = bind("EVALUATE * VS neutral USING egemaps, wavlm LAYER 3 WITH (seed = 7, c = (1, 10))", catalog: cat) else {
      return XCTFail("did not bind")
    }
    XCTAssertEqual(a.corpus, "r", "the only corpus is the default")
    XCTAssertEqual(a.emotions, ["angry", "happy"])
    XCTAssertEqual(a.sets, [BoundSet(name: "egemaps", layer: .last), BoundSet(name: "wavlm", layer: .index(3))])
    // Given options first, then every default, so a run records all it used.
    XCTAssertEqual(a.options.json, "{\"seed\": 7, \"c\": [1.0, 10.0], \"outer_folds\": 5, \"inner_folds\": 5, \"splitter\": \"shuffle\", \"train_size\": 0.8, \"alpha\": [0.001, 0.01, 0.1, 1.0, 10.0, 100.0], \"normalize\": \"speaker\", \"protocol\": \"clean\", \"inner_metric\": \"accuracy\"}")
    guard case .success(.analysis(let p)) = bind("PROBE f0, loudness, energy FROM wavlm FOR angry", catalog: cat) else { return XCTFail("did not bind") }
    // f0 (10) + loudness (10) + the rest of energy (15 − 10 loudness) = 25, without duplicates.
    XCTAssertEqual(p.features.count, 25)
  }

  func testUnknownFeatureSuggests() {
    let cat = InMemoryCatalog(corpora: ["r": (["angry", "neutral"], ["wavlm"])])
    let e = error("PROBE loudnes FROM wavlm FOR angry", catalog: cat)
    XCTAssertTrue(e.contains("unknown eGeMAPS feature, family or category 'loudnes'"), e)
    XCTAssertTrue(e.contains("did you mean 'loudness'?"), e)
  }

  func testUnknownSetSuggests() {
    let cat = InMemoryCatalog(corpora: ["r": (["angry", "neutral"], ["wavlm"])])
    XCTAssertTrue(error("RANK wavln FOR angry", catalog: cat).contains("did you mean 'wavlm'?"))
  }

  func testNoCorpusAndNoDefault() {
    XCTAssertTrue(error("RANK wavlm FOR angry").contains("which corpus? none is named and no USE is in effect"))
    var cat = catalog
    cat.defaultCorpus = "savee"
    XCTAssertTrue(error("RANK wavlm FOR angry", catalog: cat).contains("not been extracted for corpus 'savee'"))
  }

  func testImportChecks() {
    XCTAssertTrue(error("IMPORT CORPUS RAVDESS FROM 'x'").contains("a corpus named 'ravdess' exists already"))
    let e = error("IMPORT CORPUS x FROM 'x' FORMAT ravdes")
    XCTAssertTrue(e.contains("unknown corpus format 'ravdes'") && e.contains("did you mean 'ravdess'?"), e)
    guard case .success(.importCorpus(let b)) = bind("IMPORT CORPUS x FROM 'data/x' FORMAT CREMA_D") else { return XCTFail() }
    XCTAssertEqual(b.path, "/work/data/x")
    XCTAssertEqual(b.format, .crema_d)
  }

  func testOptionChecks() {
    XCTAssertTrue(error("IMPORT CORPUS x FROM 'x' WITH (seed = 1)").contains("unknown option 'seed' for IMPORT CORPUS"))
    let cat = InMemoryCatalog(corpora: ["r": (["angry", "neutral"], ["wavlm"])])
    XCTAssertTrue(error("RANK wavlm FOR angry WITH (sead = 1)", catalog: cat).contains("did you mean 'seed'?"))
    XCTAssertTrue(error("RANK wavlm FOR angry WITH (seed = 1.5)", catalog: cat).contains("option 'seed' takes a whole number"))
    XCTAssertTrue(error("RANK wavlm FOR angry WITH (protocol = 'author')", catalog: cat).contains("did you mean 'authors'?"))
    XCTAssertTrue(error("IMPORT EMBEDDINGS e FROM 'e.npy' FOR ravdess KEYS 'k.csv' WITH (seed = 1)").contains("IMPORT EMBEDDINGS takes no options"))
    XCTAssertTrue(error("IMPORT FEATURES fbank FROM 'f.csv' FOR ravdess").contains("'fbank' is the name of a built-in extractor"))
    XCTAssertTrue(error("PROBE f0 FROM wavlm FOR angry WITH (stability_seeds = (0, 1.5))", catalog: cat).contains("whole numbers ≥ 0, not 1.5"))
    XCTAssertTrue(error("RANK wavlm FOR angry TOP 0", catalog: cat).contains("TOP must be at least 1"))
    XCTAssertTrue(error("RANK wavlm FOR angry WITH (c = (0.1, -1))", catalog: cat).contains("option 'c' takes positive numbers, not -1.0"))
    XCTAssertTrue(error("RANK wavlm FOR angry WITH (c = (1, 1))", catalog: cat).contains("option 'c' lists 1.0 twice"))
    XCTAssertTrue(error("EVALUATE angry VS neutral USING wavlm, WAVLM", catalog: cat).contains("'WAVLM' is named twice"))
    guard case .success(.analysis(let a)) = bind("RANK wavlm FOR angry WITH (sample = 'runs/sample.csv')", catalog: cat) else { return XCTFail() }
    XCTAssertEqual(a.options["sample"], .string("/work/runs/sample.csv"), "file options resolve like statement paths")
  }

  func testExtractChecks() {
    XCTAssertTrue(error("EXTRACT wavlm FROM ravdess").contains("EXTRACT wavlm needs a model folder"))
    XCTAssertTrue(error("EXTRACT egemap FROM ravdess").contains("did you mean 'egemaps'?"))
    XCTAssertTrue(error("EXTRACT egemaps FROM ravdess USING MODEL 'm'").contains("takes no model"))
  }

  func testDescribeAndDrop() {
    XCTAssertEqual(try bind("DESCRIBE Utterances").get(), .describeTable("utterances"))
    XCTAssertEqual(try bind("DESCRIBE SAVEE").get(), .describeCorpus("savee"))
    XCTAssertEqual(try bind("DROP CORPUS IF EXISTS nope").get(), .dropCorpus(nil, requested: "nope"))
    XCTAssertTrue(error("DROP CORPUS nope").contains("unknown corpus 'nope'"))
  }

  func testExplainPlanMarksUnavailableOperators() throws {
    let cat = InMemoryCatalog(corpora: ["r": (["angry", "neutral"], ["wavlm"])])
    let plan = Planner.plan(try bind("PROBE f0 FROM wavlm TOP 20 FOR angry", catalog: cat).get())
    XCTAssertEqual(plan.op, "StoreProbeResults")
    XCTAssertTrue(plan.render().contains("RidgeProbe features=10"), plan.render())
    XCTAssertTrue(plan.unavailable.isEmpty)
    let extract = Planner.plan(try bind("EXTRACT wavlm FROM r USING MODEL 'm'", catalog: cat).get())
    XCTAssertTrue(extract.render().contains("EmbedWavLM model='/work/m'\n"), extract.render())
    XCTAssertTrue(extract.unavailable.isEmpty, extract.render())
    XCTAssertTrue(Planner.plan(try bind("EXTRACT egemaps FROM r", catalog: cat).get()).unavailable.isEmpty)
    let imp = Planner.plan(try bind("IMPORT CORPUS x FROM '/d'").get())
    XCTAssertEqual(imp.render(), """
      InsertCorpus name=x
        ReadHeaders fingerprint=sha256
          ParseLabels format=detect
            ScanFolder path='/d'
      """)
    XCTAssertTrue(imp.unavailable.isEmpty)
  }
}
