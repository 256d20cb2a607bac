import Foundation

/// Tiny corpora in each layout, generated on the fly (50 ms tones), for import tests.
public enum CorpusFixtures {
  /// Relative paths of the fixture corpus of each layout.
  public static let layouts: [String: [String]] = [
    "ravdess": [
      "Actor_01/03-01-01-01-01-01-01.wav", "Actor_01/03-01-05-02-01-01-01.wav",
      "Actor_02/03-01-01-01-02-01-02.wav", "Actor_02/03-01-04-01-01-02-02.wav",
    ],
    "savee": ["DC_a01.wav", "DC_n01.wav", "JE_sa02.wav", "JE_su03.wav"],
    "savee-folders": ["AudioData/DC/a01.wav", "AudioData/KL/n02.wav"],
    "crema_d": ["AudioWAV/1001_DFA_ANG_XX.wav", "AudioWAV/1001_IEO_NEU_XX.wav", "AudioWAV/1002_DFA_SAD_HI.wav"],
    "tess": ["OAF_angry/OAF_back_angry.wav", "YAF_neutral/YAF_dog_neutral.wav", "YAF_pleasant_surprised/YAF_dog_ps.wav"],
    "emodb": ["wav/03a01Wa.wav", "wav/08a02Nb.wav", "wav/16b10Lb.wav"],
    "files": ["a.wav", "deeper/b.wav"],
  ]

  /// Write the fixture corpus of `layout` under a new temporary folder and return the folder.
  @discardableResult
  public static func make(_ layout: String, in dir: String? = nil) throws -> String {
    let root = dir ?? TestSupport.temporaryDirectory(layout)
    for (i, rel) in layouts[layout]!.enumerated() {
      // Vary rate and channels so headers differ.
      let rate = [16000, 44100, 48000, 8000][i % 4]
      try TestSupport.writeTone(root, rel, seconds: 0.05, rate: rate, channels: i % 2 + 1)
    }
    return root
  }
}
