import Conntrack

/// DiagnosisFragments renders each distinct diagnosis as a `"diagnosis":{...}`
/// JSON member once. Diagnoses that name a backend or a Service are many over
/// a months-long watch: the cache starts over when it holds `limit`.
///
/// The last one rendered is checked first (`RecentValues`): the findings of
/// one dump mostly share their diagnosis.
public struct DiagnosisFragments {
    private var bytes = RecentValues<Diagnosis, [UInt8]>(limit: DiagnosisFragments.limit)
    public static let limit = 256
    public init() {}

    public mutating func rendered(_ diagnosis: Diagnosis) -> [UInt8] {
        bytes.value(for: diagnosis) { diagnosis in
            var json = JSONWriter(capacity: 1024)
            json.beginObject("diagnosis")
            json.field("code", diagnosis.code)
            json.field("explanation", diagnosis.explanation)
            if let fix = diagnosis.fix { json.field("fix", fix) }
            json.endObject()
            return json.bytes
        }
    }
}
