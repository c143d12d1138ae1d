//! Progress on a terminal's stderr: a spinner with the phase of a build, a bar per blob
//! transferred. Nothing when stderr is not a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use sysimg::build::BuildEvent;
use sysimg_share::{BlobAction, ShareEvent};

use crate::ui::output::say_err;

/// A build's phase and last line of output on a terminal's stderr (when `show` and stderr is
/// a terminal); warnings are printed either way.
pub struct BuildSpinner {
    bar: Option<indicatif::ProgressBar>,
}

impl BuildSpinner {
    pub fn new(show: bool) -> BuildSpinner {
        let show_progress = show && std::io::stderr().is_terminal();
        let bar = show_progress.then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {prefix:.bold} {elapsed} {wide_msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            b.enable_steady_tick(Duration::from_millis(120));
            b.set_prefix("starting");
            b
        });
        BuildSpinner { bar }
    }

    pub fn event(&self, e: BuildEvent) {
        match (e, &self.bar) {
            (BuildEvent::Warning(w), Some(b)) => b.suspend(|| say_err!("warning: {w}")),
            (BuildEvent::Warning(w), None) => say_err!("warning: {w}"),
            (BuildEvent::Waiting(w), Some(b)) => b.suspend(|| say_err!("sysimg: {w}")),
            (BuildEvent::Waiting(w), None) => say_err!("sysimg: {w}"),
            (
                BuildEvent::Learned {
                    statements,
                    sessions,
                },
                bar,
            ) => {
                let line = format!(
                    "sysimg: using {statements} statement{} learned from {sessions} session{} \
                     of `sysimg run` (`learn = false` in Sysimage.toml turns learning off)",
                    plural(statements),
                    plural(sessions)
                );
                match bar {
                    Some(b) => b.suspend(|| say_err!("{line}")),
                    None => say_err!("{line}"),
                }
            }
            (BuildEvent::Phase(p), Some(b)) => b.set_prefix(p),
            (BuildEvent::Line(l), Some(b)) => b.set_message(l),
            (_, None) => {}
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Progress bars on a terminal's stderr, one per blob transferred; when piped, only the line
/// saying whom a pull waits for (as a build says it).
pub struct Bars {
    show: bool,
    terminal: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl Bars {
    pub fn new(show: bool) -> Bars {
        Bars {
            show,
            terminal: std::io::stderr().is_terminal(),
            bar: None,
        }
    }

    pub fn event(&mut self, e: ShareEvent) {
        if !self.show {
            return;
        }
        if let ShareEvent::Waiting { id, holder } = &e {
            let line = format!(
                "sysimg: waiting for the lock of image {id} (being pulled or built by another \
                 process): {holder}"
            );
            match &self.bar {
                Some(b) => b.suspend(|| say_err!("{line}")),
                None => say_err!("{line}"),
            }
            return;
        }
        if !self.terminal {
            return;
        }
        match e {
            ShareEvent::Blob {
                name,
                size,
                action: BlobAction::Present,
                ..
            } => say_err!("{name}: already in the registry ({})", mib(size)),
            ShareEvent::Blob {
                name, size, action, ..
            } => {
                if let Some(b) = self.bar.take() {
                    b.finish();
                }
                let b = indicatif::ProgressBar::new(size);
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{prefix:.bold} {bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} {eta}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                let verb = if action == BlobAction::Upload {
                    "push"
                } else {
                    "pull"
                };
                b.set_prefix(format!("{verb} {name}"));
                self.bar = Some(b);
            }
            ShareEvent::Progress { done, .. } => {
                if let Some(b) = &self.bar {
                    b.set_position(done);
                }
            }
            ShareEvent::Waiting { .. } => {}
        }
    }

    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish();
        }
    }
}

/// A size in MiB, one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
