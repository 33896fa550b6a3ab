//! Shared by the tests of every crate: the random scenario generators
//! (`gen`). sim-core's properties on random scenarios live in this crate's
//! tests/ (sim-core cannot depend on it); native's differential test uses
//! it as a dev-dependency.

pub mod gen;
