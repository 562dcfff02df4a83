//! Formula fields rendered as SQL expressions (being built).
