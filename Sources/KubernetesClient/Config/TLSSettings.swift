import NIOSSL

/// TLSSettings is how to secure the connection to the API server: which
/// certificate authorities to trust, which client certificate to present, and
/// whether verification is off (a kubeconfig's `insecure-skip-tls-verify`).
public struct TLSSettings: Sendable, Equatable, CustomStringConvertible {
    /// ClientCertificate is a certificate chain and its private key, presented to the server.
    public struct ClientCertificate: Sendable, Equatable {
        /// The certificate, and any intermediates after it, in PEM.
        public var certificate: PEMData
        /// The certificate's private key in PEM.
        public var key: PEMData

        public init(certificate: PEMData, key: PEMData) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// The certificate authorities to trust (every certificate in the PEM); nil for the system's roots.
    public var certificateAuthority: PEMData?
    /// The client certificate and key, when the user authenticates with one.
    public var clientCertificate: ClientCertificate?
    /// Whether the server's certificate goes unchecked. Anyone on the path can then read the token.
    public var insecureSkipTLSVerify: Bool
    /// The name to check the server's certificate against, when not the server URL's host
    /// (a kubeconfig's `tls-server-name`).
    public var serverName: String?

    public init(
        certificateAuthority: PEMData? = nil, clientCertificate: ClientCertificate? = nil,
        insecureSkipTLSVerify: Bool = false, serverName: String? = nil
    ) {
        self.certificateAuthority = certificateAuthority
        self.clientCertificate = clientCertificate
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.serverName = serverName
    }

    public var description: String {
        var parts = [certificateAuthority.map { "trusting \($0.origin)" } ?? "trusting the system's roots"]
        if let clientCertificate { parts.append("client certificate \(clientCertificate.certificate.origin)") }
        if insecureSkipTLSVerify { parts.append("verification off") }
        if let serverName { parts.append("server name \(serverName)") }
        return parts.joined(separator: ", ")
    }

    /// makeTLSConfiguration builds the client TLS configuration for these settings.
    ///
    /// `serverName` is not part of it: the connection's SNI and hostname check
    /// are set where the connection is made.
    public func makeTLSConfiguration() throws(ClusterConfigError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let certificateAuthority {
            let roots = try Self.certificates(certificateAuthority)
            configuration.trustRoots = .certificates(roots)
        }
        if let clientCertificate {
            let chain = try Self.certificates(clientCertificate.certificate)
            configuration.certificateChain = chain.map { .certificate($0) }
            let key: NIOSSLPrivateKey
            do {
                key = try NIOSSLPrivateKey(bytes: clientCertificate.key.bytes, format: .pem)
            } catch {
                throw .badTLSMaterial(origin: clientCertificate.key.origin, reason: "not a PEM private key (\(error))")
            }
            configuration.privateKey = .privateKey(key)
        }
        if insecureSkipTLSVerify {
            configuration.certificateVerification = .none
        }
        return configuration
    }

    private static func certificates(_ pem: PEMData) throws(ClusterConfigError) -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(pem.bytes)
        } catch {
            throw .badTLSMaterial(origin: pem.origin, reason: "not PEM certificates (\(error))")
        }
        if certificates.isEmpty {
            throw .badTLSMaterial(
                origin: pem.origin, reason: "no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)")
        }
        return certificates
    }
}
