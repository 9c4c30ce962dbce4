//! Build script: rebuilds the crate when a migration changes (they are embedded at compile time).

fn main() {
    // diesel_migrations embeds migrations/ at compile time: rebuild when a migration changes,
    // or the tests' template (fingerprinted by the files) would be built from stale SQL
    println!("cargo:rerun-if-changed=migrations");
}
