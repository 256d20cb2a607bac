import Foundation

/// The normalised emotion vocabulary and the aliases queries and corpora may use.
///
/// Every corpus label is stored normalised (`angry`, not `ANG`, `W` or `anger`); queries accept
/// the aliases of the contract (`anger`, `joy`, `happiness`, `sadness`, `fear`, `surprise`).
/// EmoDB's boredom has no counterpart in the contract's list and is kept as `boredom`.
public enum Emotion {
  /// The contract's labels, in RAVDESS code order, plus EmoDB's boredom.
  public static let labels = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised", "boredom"]

  static let aliases: [String: String] = [
    "anger": "angry", "joy": "happy", "happiness": "happy", "sadness": "sad", "fear": "fearful",
    "surprise": "surprised", "disgusted": "disgust", "afraid": "fearful", "bored": "boredom",
    "pleasant_surprise": "surprised", "pleasant_surprised": "surprised", "ps": "surprised",
  ]

  /// The normalised label for a label or alias (case-insensitive), or nil.
  public static func normalise(_ label: String) -> String? {
    let l = label.lowercased().trimmedSpaces
    if labels.contains(l) { return l }
    return aliases[l]
  }

  /// Every spelling accepted in a query, for "did you mean" and tab completion.
  public static var allSpellings: [String] { labels + aliases.keys.sorted() }
}
