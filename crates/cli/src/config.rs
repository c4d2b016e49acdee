//! `dbackup config ...`: the configuration as a file, for moving to another computer.

use dbackup_engine::EngineError;

use crate::args::ConfigCommand;
use crate::output::{import_report, Output};

pub fn run(command: ConfigCommand, out: &Output) -> Result<(), EngineError> {
    let engine = crate::open_engine()?;
    let now = jiff::Timestamp::now();
    match command {
        ConfigCommand::Export { output } => {
            // Relative to where the command runs, as a shell user means it.
            let output = output.map(|p| std::path::absolute(&p).unwrap_or(p));
            let path = engine.save_config_export(output, now)?;
            out.value(&serde_json::json!({ "file": path }), || {
                format!(
                    "wrote the configuration to {}\n  it holds no secret: on the other computer, import it with\n  `dbackup config import` and type the secrets it names\n",
                    path.display()
                )
            });
        }
        ConfigCommand::Import { file, dry_run } => {
            let report = engine.import_config_file(&file, !dry_run, now)?;
            out.value(&report, || import_report(&report));
        }
    }
    Ok(())
}
