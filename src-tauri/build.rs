fn main() {
    // The UI is embedded at compile time (custom-protocol): rebuild when it changes,
    // or a fresh `npm run build` would ship inside a stale binary.
    println!("cargo:rerun-if-changed=ui/dist");
    tauri_build::build()
}
