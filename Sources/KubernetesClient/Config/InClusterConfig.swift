import Conntrack
import FoundationEssentials

extension ClusterConnection {
    /// inCluster is the configuration of a pod: the API server at the address
    /// the kubelet put in the environment, the service account's CA, its token
    /// file (re-read as the kubelet rotates it) and its namespace.
    static func inCluster(
        host: String, port: String, serviceAccountDirectory: String
    ) throws(ClusterConfigError) -> ClusterConnection {
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let address = "https://\(hostPart):\(port)"
        guard let server = URL(string: address), server.host != nil, Int(port) != nil else {
            throw .invalidSetting(
                setting: "KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT", entry: "the environment",
                kubeconfig: "(in-cluster configuration)",
                problem: "\(host) and \(port) make no URL (\(address)): unset them to use a kubeconfig")
        }
        let directory = serviceAccountDirectory.hasSuffix("/") ? serviceAccountDirectory : serviceAccountDirectory + "/"
        let caPath = directory + "ca.crt"
        let tokenPath = directory + "token"
        let ca = try readServiceAccountFile(caPath)
        _ = try readServiceAccountFile(tokenPath)
        var namespace: String?
        if let bytes = try? FileSystem.read(directory + "namespace") {
            let text = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
            namespace = text.isEmpty ? nil : text
        }
        return ClusterConnection(
            server: server,
            tls: TLSSettings(certificateAuthority: PEMData(bytes: ca, origin: "in-cluster CA \(caPath)")),
            credentials: .tokenFile(tokenPath), namespace: namespace, origin: "in-cluster configuration")
    }

    private static func readServiceAccountFile(_ path: String) throws(ClusterConfigError) -> [UInt8] {
        do {
            return try FileSystem.read(path)
        } catch {
            throw .unreadableFile(
                path: path, what: "the in-cluster service-account file",
                reason: "\(error.reason) (is automountServiceAccountToken off? Else give --kubeconfig PATH)")
        }
    }
}
