//! The printer: `Scenario` to canonical text that parses back to it.

use super::ast::Scenario;

/// Print a scenario in canonical form.
pub fn print(_scenario: &Scenario) -> String {
    todo!("printer")
}
