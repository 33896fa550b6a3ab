//! Shared by the tests of every crate: the random scenario generators
//! (`gen`) and properties more than one of them checks (`props`).
//! sim-core's properties on random scenarios live in this crate's tests/
//! (sim-core cannot depend on it); native's differential test uses it as
//! a dev-dependency.

pub mod gen;
pub mod props;
