//! The planner: a pure function from (desired, observed) to ordered operations.

pub mod ops;
