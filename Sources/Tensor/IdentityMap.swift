/// Values attached to objects by identity, without keeping the objects alive.
///
/// An `ObjectIdentifier` alone is only an address: once its object is freed, a new
/// object at the same address would inherit the old value (an optimizer's momentum
/// of another size, say). Each entry here holds its object weakly and answers only
/// for that very object; entries whose object is gone are dropped as the map grows.
public struct IdentityMap<Key: AnyObject, Value> {
  private final class Entry {
    weak var owner: Key?
    var value: Value
    init(owner: Key, value: Value) {
      self.owner = owner
      self.value = value
    }
  }

  private var entries: [ObjectIdentifier: Entry] = [:]
  private var liveCountAtLastPrune = 0

  public init() {}

  public subscript(key: Key) -> Value? {
    get {
      guard let entry = entries[ObjectIdentifier(key)], entry.owner === key else { return nil }
      return entry.value
    }
    set {
      let id = ObjectIdentifier(key)
      if let newValue {
        if let entry = entries[id], entry.owner === key {
          entry.value = newValue
        } else {
          entries[id] = Entry(owner: key, value: newValue)
          pruneIfGrown()
        }
      } else {
        entries[id] = nil
      }
    }
  }

  /// Drops entries of freed objects once the map has doubled since the last sweep,
  /// so the cost stays proportional to the insertions.
  private mutating func pruneIfGrown() {
    guard entries.count > max(16, 2 * liveCountAtLastPrune) else { return }
    entries = entries.filter { $0.value.owner != nil }
    liveCountAtLastPrune = entries.count
  }
}
