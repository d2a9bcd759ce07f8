// What `scripts/build-release.sh` stamps into a release build; a plain `swift build` leaves
// every field but the version empty. Do not commit a stamped copy.
enum BuildStamp {
    static let version = "0.1.0"
    static let revision = ""
    static let branch = ""
    static let buildUser = ""
    static let buildDate = ""
}
