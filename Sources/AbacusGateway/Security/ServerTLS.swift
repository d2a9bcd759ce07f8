import Foundation
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import X509

/// The HTTPS side of a ``WebConfig``: a TLS context built from `tls_server_config`, with the
/// files read when it is built (a reload builds a new one; connections already open keep theirs).
struct ServerTLS: Sendable {
    let context: NIOSSLContext
    /// `RequestClientCert`, `RequireAnyClientCert`: a client certificate is taken without
    /// checking who signed it.
    let acceptsAnyCertificate: Bool
    /// `client_allowed_sans`.
    let allowedSANs: [String]?

    /// Builds the context, reading the files with `reader` (each once).
    init(_ tls: WebConfig.TLS, reader: (String) -> Data?) throws(ConfigFileError) {
        func read(_ path: String, _ what: String) throws(ConfigFileError) -> [UInt8] {
            guard let data = reader(path) else { throw ConfigFileError("failed to read \(what) (\(path))") }
            return Array(data)
        }
        let certificates: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            let certBytes = try tls.certFile.map { path throws(ConfigFileError) in try read(path, "cert_file") }
            let keyBytes = try tls.keyFile.map { path throws(ConfigFileError) in try read(path, "key_file") }
            do {
                certificates = try NIOSSLCertificate.fromPEMBytes(certBytes ?? Array((tls.cert ?? "").utf8))
                key = try NIOSSLPrivateKey(bytes: keyBytes ?? Array((tls.key ?? "").utf8), format: .pem)
            } catch {
                throw ConfigFileError("failed to load X509KeyPair: \(error)")
            }
            guard !certificates.isEmpty else { throw ConfigFileError("failed to load X509KeyPair: no certificate") }
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = Self.version(tls.minVersion)
        configuration.maximumTLSVersion = Self.version(tls.maxVersion)
        // TLS 1.3 suites cannot be chosen (as in Go): only the others are handed to BoringSSL.
        let suites = tls.cipherSuites.filter { $0 >> 8 != 0x13 }
        if !suites.isEmpty { configuration.cipherSuiteValues = suites.map { NIOTLSCipher(rawValue: $0) } }
        if !tls.curves.isEmpty { configuration.curves = tls.curves.map { NIOTLSCurve(rawValue: $0) } }
        var roots: [NIOSSLCertificate]?
        if let path = tls.clientCAFile {
            roots = try Self.certificates(read(path, "client_ca_file"), "client_ca_file (\(path))")
        } else if let text = tls.clientCA {
            roots = try Self.certificates(Array(text.utf8), "client_ca")
        }
        if let roots {
            configuration.trustRoots = .certificates(roots)
            configuration.sendCANameList = true
        }
        switch tls.clientAuth {
        case .none: configuration.certificateVerification = .none
        case .request, .verifyIfGiven: configuration.certificateVerification = .optionalVerification
        case .requireAny, .requireAndVerify: configuration.certificateVerification = .noHostnameVerification
        }
        acceptsAnyCertificate = tls.clientAuth == .request || tls.clientAuth == .requireAny
        allowedSANs = tls.clientAuth == .none ? nil : tls.clientAllowedSANs
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ConfigFileError("cannot use the certificate and key: \(error)")
        }
    }

    static func version(_ version: WebConfig.Version) -> TLSVersion {
        switch version {
        case .tls10: .tlsv1
        case .tls11: .tlsv11
        case .tls12: .tlsv12
        case .tls13: .tlsv13
        }
    }

    static func certificates(_ bytes: [UInt8], _ what: String) throws(ConfigFileError) -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            throw ConfigFileError("\(what) is not PEM certificates: \(error)")
        }
        guard !certificates.isEmpty else { throw ConfigFileError("\(what) holds no certificate") }
        return certificates
    }

    /// The subject alternative names of a certificate as Go writes them: DNS names, e-mail
    /// addresses, IP addresses (dotted or RFC 5952), URIs.
    static func subjectAlternativeNames(_ certificate: NIOSSLCertificate) -> [String] {
        guard let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der),
            let names = try? parsed.extensions.subjectAlternativeNames
        else { return [] }
        var out: [String] = []
        for name in names {
            switch name {
            case .dnsName(let text), .rfc822Name(let text), .uniformResourceIdentifier(let text):
                out.append(text)
            case .ipAddress(let octets):
                let bytes = Array(octets.bytes)
                if let text = ipText(bytes) { out.append(text) }
            default:
                continue
            }
        }
        return out
    }

    static func ipText(_ bytes: [UInt8]) -> String? {
        // An IPv4-mapped IPv6 address is written as the IPv4 address, as Go's net.IP does.
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return ipText(Array(bytes[12...]))
        }
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var buffer = [CChar](repeating: 0, count: 64)
        let ok = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        return ok ? String(cString: buffer) : nil
    }
}

/// The HTTP server's child channel over TLS, taking the TLS context current when each
/// connection arrives: a changed certificate or key is used from the next connection on,
/// without a restart (as exporter-toolkit reads them at each handshake).
struct ReloadableTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let current: @Sendable () -> ServerTLS?
    let refused: @Sendable (String) -> Void

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard let tls = current() else {
            return channel.eventLoop.makeFailedFuture(ChannelError.inappropriateOperationForState)
        }
        let refused = refused
        return channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            if tls.acceptsAnyCertificate {
                try sync.addHandler(
                    NIOSSLServerHandler(
                        context: tls.context,
                        customVerificationCallback: { _, promise in
                            promise.succeed(.certificateVerified)
                        }))
            } else {
                try sync.addHandler(NIOSSLServerHandler(context: tls.context))
            }
            if let allowed = tls.allowedSANs {
                try sync.addHandler(ClientSANCheck(allowed: allowed, refused: refused))
            }
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension ReloadableTLSChannel: HTTPChannelHandler where Base: HTTPChannelHandler {
    var responder: HTTPChannelHandler.Responder { base.responder }
}

/// `client_allowed_sans`: once the handshake has verified the client's certificate, closes
/// the connection unless the certificate holds one of the allowed SANs (no certificate: closed
/// too). Nothing the client sent reaches the HTTP server before the check.
final class ClientSANCheck: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    let allowed: Set<String>
    let refused: @Sendable (String) -> Void
    var passed = false

    init(allowed: [String], refused: @escaping @Sendable (String) -> Void) {
        self.allowed = Set(allowed)
        self.refused = refused
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate()
            let names = certificate.map(ServerTLS.subjectAlternativeNames) ?? []
            guard names.contains(where: allowed.contains) else {
                refused(
                    certificate == nil
                        ? "no client certificate" : "no allowed SAN in the client certificate (found: \(names))")
                context.close(promise: nil)
                return
            }
            passed = true
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard passed else { return }
        context.fireChannelRead(data)
    }
}
