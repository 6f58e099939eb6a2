/// ByteCount reads a socket buffer size: `--buffer-size`, `--max-buffer-size`.
enum ByteCount {
    /// The smallest buffer worth asking for: one page, room for a few events.
    static let minimum = 4096
    /// 2 GiB - 1 (INT_MAX): `SO_RCVBUFFORCE` and `SO_RCVBUF` take a C int,
    /// so a larger number cannot even be asked for.
    static let maximum = Int(Int32.max)

    static func bufferSize(_ text: String) throws -> Int {
        guard let value = DecimalText.integer(text[...]), value >= minimum, value <= maximum else {
            throw ArgumentValueError(
                "expected a number of bytes from \(minimum) to \(maximum) (2 GiB - 1, the largest SO_RCVBUFFORCE takes)"
            )
        }
        return value
    }
}
