import Conntrack

/// DiagnosisFragments renders each distinct diagnosis as a `"diagnosis":{...}`
/// JSON member once. Diagnoses that name a backend or a Service are many over
/// a months-long watch: the cache starts over when it holds `limit`.
///
/// The last one rendered is checked first: the findings of one dump mostly
/// share their diagnosis, and comparing it costs less than hashing its text.
public struct DiagnosisFragments {
    private var cache: [Diagnosis: [UInt8]] = [:]
    private var last: (diagnosis: Diagnosis, bytes: [UInt8])?
    public static let limit = 256
    public init() {}

    public mutating func rendered(_ diagnosis: Diagnosis) -> [UInt8] {
        if let last, last.diagnosis == diagnosis { return last.bytes }
        let bytes = lookUp(diagnosis)
        last = (diagnosis, bytes)
        return bytes
    }

    private mutating func lookUp(_ diagnosis: Diagnosis) -> [UInt8] {
        if let bytes = cache[diagnosis] { return bytes }
        if cache.count >= Self.limit { cache.removeAll(keepingCapacity: true) }
        var json = JSONWriter(capacity: 1024)
        json.beginObject("diagnosis")
        json.field("code", diagnosis.code)
        json.field("explanation", diagnosis.explanation)
        if let fix = diagnosis.fix { json.field("fix", fix) }
        json.endObject()
        cache[diagnosis] = json.bytes
        return json.bytes
    }
}
