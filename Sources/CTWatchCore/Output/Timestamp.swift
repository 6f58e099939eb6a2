import Conntrack

/// RFC3339 formats wall-clock times as `2026-11-26T23:44:50.123456789Z`
/// (UTC, `Z`), straight into a byte buffer.
public enum RFC3339 {
    /// Appends the time with `fractionDigits` digits of fraction (9 for JSON, 6 for text).
    /// `2026-12-01T05:38:51Z`: to the second, for text people read.
    public static func seconds(_ time: WallTime) -> String {
        var bytes: [UInt8] = []
        append(time, fractionDigits: 0, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func append(_ time: WallTime, fractionDigits: Int = 9, to out: inout some ByteOutput) {
        let seconds = Int64(time.nanoseconds / 1_000_000_000)
        let nanos = time.nanoseconds % 1_000_000_000
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        let (year, month, day) = civil(fromDays: days)
        ASCIIDigits.append(UInt64(year), width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        ASCIIDigits.append(UInt64(month), width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        ASCIIDigits.append(UInt64(day), width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        ASCIIDigits.append(UInt64(secondOfDay / 3600), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        ASCIIDigits.append(UInt64(secondOfDay / 60 % 60), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        ASCIIDigits.append(UInt64(secondOfDay % 60), width: 2, to: &out)
        if fractionDigits > 0 {
            out.append(UInt8(ascii: "."))
            var divisor: UInt64 = 1
            for _ in 0..<(9 - min(fractionDigits, 9)) { divisor *= 10 }
            ASCIIDigits.append(nanos / divisor, width: min(fractionDigits, 9), to: &out)
        }
        out.append(UInt8(ascii: "Z"))
    }

    public static func string(_ time: WallTime, fractionDigits: Int = 9) -> String {
        var out: [UInt8] = []
        append(time, fractionDigits: fractionDigits, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
