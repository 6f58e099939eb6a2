import FoundationEssentials

extension APIClient {
    /// A client for a resolved connection: its server, its TLS settings (for
    /// https), and its credentials, asked for a header before each request and
    /// told when the server refused them.
    public convenience init(connection: ClusterConnection, options: Options = Options()) throws(ClusterConfigError) {
        let credentials = Credentials(connection.credentials)
        let tls = connection.server.scheme == "https" ? try connection.tls.makeTLSConfiguration() : nil
        self.init(
            server: connection.server, tls: tls,
            authorizer: Authorizer(
                header: { try await credentials.authorization() }, refused: { await credentials.invalidate() }),
            options: options)
    }
}
