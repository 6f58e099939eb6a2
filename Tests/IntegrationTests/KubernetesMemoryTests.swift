import Foundation
import TestSupport
import Testing

/// How much memory a large pods document costs the process that reads it.
@Suite("Kubernetes documents in memory", .privileged)
struct KubernetesMemoryTests {
    /// Writes a compact `kubectl get pods -A -o json` list of unique pods,
    /// about TARGET bytes, to PATH; runs the command that follows with
    /// `--pods PATH`; prints the file size, the command's exit status and
    /// its peak resident set (the only child this program waits for).
    static let measure = #"""
        import json, os, resource, subprocess, sys
        path, target, command = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
        with open(path, "w") as out:
            out.write('{"apiVersion":"v1","items":[')
            written, i = 0, 0
            while written < target:
                pod = {"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": f"app{i}-5d6f7b8c9-k4m2n", "namespace": f"ns{i % 50}",
                                    "uid": f"{i:08x}-aaaa-bbbb-cccc-dddddddddddd",
                                    "creationTimestamp": "2025-11-25T17:31:40Z",
                                    "labels": {"app": f"app{i}", "pod-template-hash": "5d6f7b8c9"},
                                    "managedFields": [{"manager": "kubelet", "operation": "Update",
                                                       "fieldsV1": {"f:status": {"f:conditions": {".": {}}}}}]},
                       "spec": {"containers": [{"name": "c", "image": "registry.example/app:1.2.3",
                                                "ports": [{"containerPort": 8080, "protocol": "TCP"}]}],
                                "nodeName": "node1", "hostNetwork": False},
                       "status": {"phase": "Running", "podIP": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
                                  "podIPs": [{"ip": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"}, {"ip": f"fd00::{i:x}"}],
                                  "conditions": [{"type": t, "status": "True"} for t in ("Ready", "PodScheduled")]}}
                text = ("," if i else "") + json.dumps(pod, separators=(",", ":"))
                out.write(text)
                written += len(text)
                i += 1
            out.write('],"kind":"List","metadata":{"resourceVersion":""}}')
        result = subprocess.run(command + ["--pods", path], capture_output=True)
        json.dump({"size": os.path.getsize(path), "status": result.returncode,
                   "maxrss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
                   "stderr": result.stderr.decode("utf-8", "replace")}, sys.stdout)
        """#

    struct Measurement: Decodable {
        var size: Int
        var status: Int32
        var maxrss: Int
        var stderr: String
    }

    @Test("A pods list just under the limit is read within a small multiple of its size")
    func largeListMemory() async throws {
        try Privilege.require()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ctwatch-pods-\(UUID().uuidString).json"
        ).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await ScratchNamespace.with { name in
            let command = [try CTWatchBinary.path(), "stuck", "--netns", name, "--cidr", "10.224.1.0/24"]
            let run = try await Subprocess.run(
                "python3", ["-c", Self.measure, path, "60000000"] + command, timeout: 300)
            #expect(run.status == 0, "\(run)")
            let measured = try JSONDecoder().decode(Measurement.self, from: Data(run.stdout.utf8))
            #expect(measured.size > 50_000_000 && measured.size < 64 << 20)
            #expect(measured.status == 0, "\(measured.stderr)")
            // The document itself, the pods decoded from it, and the process
            // (about 20 MB before it reads anything). Decoding the whole
            // document at once took almost five times its size.
            #expect(
                measured.maxrss < measured.size * 3,
                "peak RSS \(measured.maxrss >> 20) MiB for a \(measured.size >> 20) MiB document")
        }
    }
}
