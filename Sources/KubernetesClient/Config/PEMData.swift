/// PEMData is certificate or key material in PEM form together with where it
/// came from, so that an error about it can name the file or kubeconfig field.
///
/// Its description and reflection show only the origin and the size: key
/// material must never reach a log or an error message.
public struct PEMData: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The PEM text's bytes.
    public var bytes: [UInt8]
    /// Where the bytes came from, for messages: `certificate-authority /etc/ca.crt`,
    /// `client-key-data of user admin in kubeconfig /root/.kube/config`.
    public var origin: String

    public init(bytes: [UInt8], origin: String) {
        self.bytes = bytes
        self.origin = origin
    }

    public var description: String { "\(origin) (\(bytes.count) bytes)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["origin": origin, "byteCount": bytes.count]) }
}
