//! The web view's reach into the app is reviewed: every IPC command the UI's bindings
//! call, every command build.rs makes a permission for (src-tauri/ipc-commands.txt), and
//! every permission tauri.conf.json grants the window must agree, and the window gets
//! nothing else. Adding a command or a permission without adding it to the reviewed list
//! fails here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// What the window may do besides the app's commands: listen to the app's events.
const REVIEWED_CORE: &[&str] = &["core:event:allow-listen", "core:event:allow-unlisten"];

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap()
}

fn listed_commands() -> BTreeSet<String> {
    read("src-tauri/ipc-commands.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_window_can_call_exactly_the_reviewed_commands_and_nothing_else() {
    // The commands the generated bindings call (bindings.rs keeps them in step with the
    // Rust command list).
    let bindings = read("ui/src/bindings.ts");
    let called: BTreeSet<String> = bindings
        .split("TAURI_INVOKE(\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect();
    let listed = listed_commands();
    assert_eq!(
        called.difference(&listed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "commands the UI calls that src-tauri/ipc-commands.txt does not list: review them, then add them there and to the capability in tauri.conf.json"
    );
    assert_eq!(
        listed.difference(&called).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "src-tauri/ipc-commands.txt lists commands the app no longer has"
    );

    let conf: serde_json::Value = serde_json::from_str(&read("tauri.conf.json")).unwrap();
    let capabilities = conf["app"]["security"]["capabilities"].as_array().unwrap();
    assert_eq!(capabilities.len(), 1, "one capability, for the main window");
    assert_eq!(capabilities[0]["windows"], serde_json::json!(["main"]));
    assert!(
        capabilities[0].get("remote").is_none(),
        "no remote URL may reach the IPC"
    );
    let granted: BTreeSet<String> = capabilities[0]["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p.as_str()
                .expect("permissions are plain identifiers, no scopes")
                .to_owned()
        })
        .collect();
    let reviewed: BTreeSet<String> = REVIEWED_CORE
        .iter()
        .map(|p| (*p).to_owned())
        .chain(
            listed
                .iter()
                .map(|c| format!("allow-{}", c.replace('_', "-"))),
        )
        .collect();
    assert_eq!(
        granted, reviewed,
        "the window's permissions differ from the reviewed list (src-tauri/ipc-commands.txt and REVIEWED_CORE)"
    );
}
