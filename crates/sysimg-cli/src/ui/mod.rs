//! What the terminal shows: escaped human output, progress displays and reports.

pub mod output;
pub mod progress;
pub mod report;
