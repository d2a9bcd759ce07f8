/// What was built, as `/api/v1/status` shows it under `build_information` (the Pushgateway's
/// fields, `swiftVersion` in place of its `goVersion`) and `abacus_build_info` by its version.
///
/// A plain `swift build` knows the version and the compiler only; `scripts/build-release.sh`
/// stamps the revision, branch, user and date in (empty otherwise).
public struct BuildInformation: Sendable, Equatable {
    /// The release version, e.g. `0.1.0`.
    public var version: String
    /// The git commit built from.
    public var revision: String
    /// The git branch built from.
    public var branch: String
    /// `user@host` that built it.
    public var buildUser: String
    /// `YYYYMMDD-HH:MM:SS` in UTC, the Pushgateway's format.
    public var buildDate: String
    /// The Swift compiler's major.minor version.
    public var swiftVersion: String

    /// Build information with the given fields (empty when unknown).
    public init(
        version: String, revision: String = "", branch: String = "", buildUser: String = "", buildDate: String = "",
        swiftVersion: String = BuildInformation.compilerVersion
    ) {
        self.version = version
        self.revision = revision
        self.branch = branch
        self.buildUser = buildUser
        self.buildDate = buildDate
        self.swiftVersion = swiftVersion
    }

    /// This build's.
    public static let current = BuildInformation(
        version: BuildStamp.version, revision: BuildStamp.revision, branch: BuildStamp.branch,
        buildUser: BuildStamp.buildUser, buildDate: BuildStamp.buildDate)

    /// The fields in the order `/api/v1/status` writes them (by name, as Go writes a map).
    public var fields: [(String, String)] {
        [
            ("branch", branch), ("buildDate", buildDate), ("buildUser", buildUser), ("revision", revision),
            ("swiftVersion", swiftVersion), ("version", version),
        ]
    }

    /// The compiler this was built with.
    public static var compilerVersion: String {
        #if compiler(>=6.5)
            "6.5+"
        #elseif compiler(>=6.4)
            "6.4"
        #elseif compiler(>=6.3)
            "6.3"
        #elseif compiler(>=6.2)
            "6.2"
        #elseif compiler(>=6.1)
            "6.1"
        #else
            "6.0"
        #endif
    }
}
