fn main() {
    // The UI is embedded at compile time (custom-protocol): rebuild when it changes,
    // or a fresh `npm run build` would ship inside a stale binary.
    println!("cargo:rerun-if-changed=ui/dist");
    // Each command the window may call gets an allow- permission, granted one by one
    // in tauri.conf.json: a command not listed there cannot be called from the web view.
    println!("cargo:rerun-if-changed=src-tauri/ipc-commands.txt");
    let listed = std::fs::read_to_string("src-tauri/ipc-commands.txt")
        .unwrap_or_else(|e| panic!("cannot read src-tauri/ipc-commands.txt: {e}"));
    let commands: Vec<&'static str> = listed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| &*Box::leak(l.to_owned().into_boxed_str()))
        .collect();
    let commands: &'static [&'static str] = Box::leak(commands.into_boxed_slice());
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .unwrap_or_else(|e| panic!("tauri-build failed: {e:#}"));
}
