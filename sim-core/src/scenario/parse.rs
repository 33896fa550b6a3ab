//! The parser: text to `Scenario`, or the first error with its line and column.

use super::ast::Scenario;
use super::error::ScenarioError;

/// Parse a whole scenario.
pub fn parse(_text: &str) -> Result<Scenario, ScenarioError> {
    todo!("parser")
}
