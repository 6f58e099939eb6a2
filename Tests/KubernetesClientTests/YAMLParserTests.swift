import Foundation
import Testing

@testable import KubernetesClient

/// The kubeconfig reader's YAML: libyaml's events assembled into nodes, and
/// kubeconfigs written by hand the way people do (anchors, flow style,
/// quoting, YAML 1.1 booleans). Files written by kubectl are in ConfigKubeconfigTests.
@Suite struct YAMLParserTests {
    private func parse(_ text: String) throws -> YAMLNode? { try YAMLParser.parse(Array(text.utf8)) }

    @Test func scalarsKeepTheirTextAndPlainNullsAreNull() throws {
        let node = try parse(
            """
            # a comment
            a: 12345
            b: "true"
            c: ~
            d:
            e: null
            f: !!null x
            g: 'it''s'
            h: |
              two
              lines
            """)
        #expect(
            node
                == .mapping([
                    (.scalar("a", plain: true), .scalar("12345", plain: true)),
                    (.scalar("b", plain: true), .scalar("true", plain: false)),
                    (.scalar("c", plain: true), .null),
                    (.scalar("d", plain: true), .null),
                    (.scalar("e", plain: true), .null),
                    (.scalar("f", plain: true), .null),
                    (.scalar("g", plain: true), .scalar("it's", plain: false)),
                    (.scalar("h", plain: true), .scalar("two\nlines", plain: false)),
                ]))
    }

    @Test func aliasesRepeatTheAnchoredNodeAndFlowStyleReads() throws {
        let node = try parse("base: &b {x: [1, 2]}\ncopy: *b\n")
        let inner = YAMLNode.mapping([
            (.scalar("x", plain: true), .sequence([.scalar("1", plain: true), .scalar("2", plain: true)]))
        ])
        #expect(node == .mapping([(.scalar("base", plain: true), inner), (.scalar("copy", plain: true), inner)]))
    }

    @Test func emptyStreamsHaveNoDocumentAndOnlyTheFirstDocumentCounts() throws {
        #expect(try parse("") == nil)
        #expect(try parse("# nothing\n") == nil)
        #expect(try parse("a: 1\n---\nb: 2\n") == .mapping([(.scalar("a", plain: true), .scalar("1", plain: true))]))
    }

    @Test func syntaxErrorsSayWhereWithLineAndColumn() throws {
        let unclosed = #expect(throws: YAMLSyntaxError.self) {
            try parse("clusters:\n- name: c\n  cluster: [unclosed\n")
        }
        #expect(unclosed?.line == 4)
        #expect(unclosed?.description.hasPrefix("line 4, column 1: ") == true)
        let tab = #expect(throws: YAMLSyntaxError.self) { try parse("a:\n\tb: 1\n") }
        #expect(tab?.line == 2)
        let alias = #expect(throws: YAMLSyntaxError.self) { try parse("a: *nowhere\n") }
        #expect(alias?.description == "line 1, column 4: the alias *nowhere names no anchor before it")
    }

    @Test func aliasesThatExpandWithoutBoundAreRefused() throws {
        // Each level repeats the one before ten times: 10^9 nodes at the ninth.
        var text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let previous = Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ")
            text += "l\(level): &l\(level) [\(previous)]\n"
        }
        let error = #expect(throws: YAMLSyntaxError.self) { try parse(text) }
        #expect(error?.problem.contains("aliases are expanded") == true)
    }

    @Test func handWrittenKubeconfigResolves() async throws {
        try await withConfigFolder { folder in
            try folder.write(
                "config",
                """
                apiVersion: v1
                kind: Config
                clusters:
                - name: lab
                  cluster: &lab {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: yes}
                - {name: lab-copy, cluster: *lab}
                users:
                - name: admin
                  user:
                    token: 12345   # a plain number, read as the string it is here
                contexts:
                - name: lab
                  context: {cluster: lab-copy, user: admin, namespace: 007}
                current-context: lab
                """)
            let connection = try ClusterConnection.resolve(
                kubeconfig: folder.file("config"), context: nil, environment: [:], homeDirectory: "/nonexistent")
            #expect(connection.server.absoluteString == "https://10.0.0.1:6443")
            #expect(connection.tls.insecureSkipTLSVerify)
            #expect(connection.credentials == .token("12345"))
            #expect(connection.namespace == "007")
        }
    }

    @Test func anEmptyKubeconfigIsEmptyNotMalformed() async throws {
        try await withConfigFolder { folder in
            for text in ["", "\n  \n", "# only a comment\n"] {
                try folder.write("config", text)
                let error = #expect(throws: ClusterConfigError.self) {
                    try ClusterConnection.resolve(
                        kubeconfig: folder.file("config"), context: nil, environment: [:],
                        homeDirectory: "/nonexistent")
                }
                #expect(
                    error?.description.contains("is not a valid kubeconfig") == false, "\(String(describing: error))")
            }
        }
    }

    @Test func aFlagThatIsNotABooleanIsNamed() async throws {
        try await withConfigFolder { folder in
            try folder.write(
                "config", "clusters:\n- name: c\n  cluster: {server: https://a:6443, insecure-skip-tls-verify: maybe}\n"
            )
            let error = #expect(throws: ClusterConfigError.self) {
                try ClusterConnection.resolve(
                    kubeconfig: folder.file("config"), context: "x", environment: [:], homeDirectory: "/nonexistent")
            }
            #expect(error?.description.contains("insecure-skip-tls-verify") == true, "\(String(describing: error))")
            #expect(error?.description.contains(#"expected true or false, found "maybe""#) == true)
        }
    }
}
