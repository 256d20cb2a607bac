import ProbeCore

/// The corpus layouts ProbeDB recognises.
public enum CorpusFormat: String, CaseIterable, Sendable {
  case ravdess, savee, crema_d, tess, emodb, files, csv

  /// Layouts that label utterances from their file names, in detection order.
  public static let namedLayouts: [CorpusFormat] = [.ravdess, .crema_d, .tess, .emodb, .savee]

  /// The format for a name in `FORMAT x` (case-insensitive, `cremad`/`crema-d` accepted).
  public init?(name: String) {
    let l = name.lowercased().replacingOccurrences(of: "-", with: "_")
    if l == "cremad" { self = .crema_d; return }
    self.init(rawValue: l)
  }
}

/// What a file name says about an utterance.
public struct UtteranceLabels: Sendable, Equatable {
  public var speaker: String?
  /// Normalised emotion (see `Emotion`), or nil when the layout has no labels.
  public var emotion: String?
  /// The corpus's own code for the emotion (`05`, `ANG`, `W`, `sa`, `angry`).
  public var label: String?
  public var intensity: String?
  public var statement: String?
  public var repetition: String?
  public var gender: String?
  public var extra: [String: String] = [:]
  public init() {}
}

/// File-name conventions of the public emotional speech corpora.
public enum CorpusLayout {
  /// Audio file extensions considered when scanning a folder (what libsndfile reads).
  public static let audioExtensions: Set<String> = ["wav", "flac", "ogg", "oga", "opus", "mp3", "aif", "aiff", "aifc", "au", "snd", "caf", "w64", "rf64", "wave"]

  /// Parse the labels of `relativePath` under `format`; nil when the name does not follow it.
  public static func parse(_ relativePath: String, as format: CorpusFormat) -> UtteranceLabels? {
    let parts = relativePath.split(separator: "/").map(String.init)
    guard let file = parts.last else { return nil }
    let stem = file.contains(".") ? String(file[..<file.lastIndex(of: ".")!]) : file
    let parent = parts.count >= 2 ? parts[parts.count - 2] : nil
    switch format {
    case .ravdess: return ravdess(stem)
    case .savee: return savee(stem, parent: parent)
    case .crema_d: return cremaD(stem)
    case .tess: return tess(stem)
    case .emodb: return emodb(stem)
    case .files: return UtteranceLabels()
    case .csv: return nil
    }
  }

  /// The named layout most files follow; `.files` when fewer than half follow any.
  public static func detect(_ relativePaths: [String]) -> (format: CorpusFormat, matching: Int) {
    var best: (CorpusFormat, Int) = (.files, 0)
    for f in CorpusFormat.namedLayouts {
      let n = relativePaths.reduce(0) { $0 + (parse($1, as: f) != nil ? 1 : 0) }
      if n > best.1 { best = (f, n) }
    }
    if best.1 * 2 < relativePaths.count || best.1 == 0 { return (.files, relativePaths.count) }
    return best
  }

  // MARK: - RAVDESS: MM-CC-EE-II-SS-RR-AA, e.g. 03-01-05-01-02-01-12

  static let ravdessEmotions = ["01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry", "06": "fearful", "07": "disgust", "08": "surprised"]

  static func ravdess(_ stem: String) -> UtteranceLabels? {
    let f = stem.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
    guard f.count == 7, f.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isNumber) }) else { return nil }
    guard let emotion = ravdessEmotions[f[2]], ["01", "02", "03"].contains(f[0]), ["01", "02"].contains(f[1]),
      ["01", "02"].contains(f[3]), let actor = Int(f[6]), actor >= 1
    else { return nil }
    var l = UtteranceLabels()
    l.speaker = f[6]
    l.emotion = emotion
    l.label = f[2]
    l.intensity = f[3] == "01" ? "normal" : "strong"
    l.statement = f[4]
    l.repetition = f[5]
    l.gender = actor % 2 == 1 ? "male" : "female"
    l.extra = ["modality": ["01": "audio-video", "02": "video-only", "03": "audio-only"][f[0]]!,
               "vocal_channel": f[1] == "01" ? "speech" : "song"]
    return l
  }

  // MARK: - SAVEE: DC_a01 (flat) or DC/a01 (AudioData folders); codes a d f h n sa su

  static let saveeEmotions = ["a": "angry", "d": "disgust", "f": "fearful", "h": "happy", "n": "neutral", "sa": "sad", "su": "surprised"]
  static let saveeSpeakers: Set<String> = ["DC", "JE", "JK", "KL"]

  static func savee(_ stem: String, parent: String?) -> UtteranceLabels? {
    var speaker: String?
    var code = stem
    if let u = stem.firstIndex(of: "_") {
      speaker = String(stem[..<u])
      code = String(stem[stem.index(after: u)...])
    } else if let parent, saveeSpeakers.contains(parent.uppercased()) {
      speaker = parent
    }
    guard let spk = speaker?.uppercased(), spk.count == 2, spk.allSatisfy(\.isLetter) else { return nil }
    let letters = String(code.prefix { $0.isLetter })
    let digits = String(code.dropFirst(letters.count))
    guard let emotion = saveeEmotions[letters.lowercased()], digits.count == 2, digits.allSatisfy(\.isNumber) else { return nil }
    var l = UtteranceLabels()
    l.speaker = spk
    l.emotion = emotion
    l.label = letters.lowercased()
    l.statement = digits
    l.gender = "male"
    return l
  }

  // MARK: - CREMA-D: 1001_DFA_ANG_XX

  static let cremaEmotions = ["ANG": "angry", "DIS": "disgust", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"]
  static let cremaLevels = ["LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified", "X": "unspecified"]

  static func cremaD(_ stem: String) -> UtteranceLabels? {
    let f = stem.split(separator: "_").map(String.init)
    guard f.count == 4, f[0].count == 4, f[0].allSatisfy(\.isNumber), f[1].count == 3, f[1].allSatisfy(\.isUppercase),
      let emotion = cremaEmotions[f[2]], let level = cremaLevels[f[3]]
    else { return nil }
    var l = UtteranceLabels()
    l.speaker = f[0]
    l.emotion = emotion
    l.label = f[2]
    l.statement = f[1]
    l.intensity = level
    return l
  }

  // MARK: - TESS: OAF_back_angry, YAF_dog_ps

  static let tessEmotions = ["angry": "angry", "disgust": "disgust", "fear": "fearful", "happy": "happy", "neutral": "neutral", "ps": "surprised", "sad": "sad", "pleasant_surprise": "surprised", "pleasant_surprised": "surprised"]

  static func tess(_ stem: String) -> UtteranceLabels? {
    let f = stem.split(separator: "_").map(String.init)
    guard f.count >= 3, ["OAF", "YAF"].contains(f[0].uppercased()) else { return nil }
    let emotionCode = f[2...].joined(separator: "_").lowercased()
    guard let emotion = tessEmotions[emotionCode] else { return nil }
    var l = UtteranceLabels()
    l.speaker = f[0].uppercased()
    l.emotion = emotion
    l.label = emotionCode
    l.statement = f[1].lowercased()
    l.gender = "female"
    l.extra = ["age_group": f[0].uppercased() == "OAF" ? "older" : "younger"]
    return l
  }

  // MARK: - EmoDB: 03a01Fa — speaker, text, emotion (German initial), version

  static let emodbEmotions = ["W": "angry", "L": "boredom", "E": "disgust", "A": "fearful", "F": "happy", "T": "sad", "N": "neutral"]
  static let emodbGender = ["03": "male", "08": "female", "09": "female", "10": "male", "11": "male", "12": "male", "13": "female", "14": "female", "15": "male", "16": "female"]

  static func emodb(_ stem: String) -> UtteranceLabels? {
    let c = Array(stem)
    guard c.count == 7, c[0].isNumber, c[1].isNumber, c[2] == "a" || c[2] == "b", c[3].isNumber, c[4].isNumber,
      let emotion = emodbEmotions[String(c[5])], c[6].isLowercase
    else { return nil }
    let speaker = String(c[0...1])
    var l = UtteranceLabels()
    l.speaker = speaker
    l.emotion = emotion
    l.label = String(c[5])
    l.statement = String(c[2...4])
    l.repetition = String(c[6])
    l.gender = emodbGender[speaker]
    return l
  }
}
